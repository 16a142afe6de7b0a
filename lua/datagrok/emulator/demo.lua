--- The --demo content, seeded once into a fresh data dir (a restart keeps what users
-- changed since): users admin, alice and bob with personal groups; the groups
-- "All users", "Developers", "Administrators" and "Chemists" with admin and non-admin
-- members; the `demog` table (Demo:demog, 300 deterministic rows of subject, age, sex,
-- race, height, weight); and the System:DemoFiles share with demog.csv at its root,
-- cars.csv, README.md and the subfolder chem/ (smiles.csv, assays/ic50.csv); and (seed_api)
-- the connections Demo:DemoDB (Postgres, with credentials) and System:DemoFiles (the
-- file share), the script Demo:Hello, the query Demo:DemogByRace on Demo:DemoDB, and
-- the package Demo with a published version 1.0.0.
local users = require "datagrok.emulator.users"
local groups = require "datagrok.emulator.groups"
local files = require "datagrok.emulator.files"
local reply = require "datagrok.emulator.reply"
local fs = require "datagrok.emulator.fs"

local M = {}

M.ALL_USERS = "a4b45840-9a50-11e6-9cc9-8546b8bf62e6"
M.DEVELOPERS = "ba9cd191-9a50-11e6-9cc9-910bf827f0ab"
M.ADMINISTRATORS = "1ab8b38d-9c4e-4b1e-81c3-ae2bde3e12c5"
M.CHEMISTS = "c4e70000-9a50-11e6-9cc9-00000000c4e7"
M.ALICE = "a11ce000-9a50-11e6-9cc9-00000000a11c"
M.BOB = "b0b00000-9a50-11e6-9cc9-00000000b0b0"
M.ALICE_GROUP = "a11ce000-9a50-11e6-9cc9-00000000a11d"
M.BOB_GROUP = "b0b00000-9a50-11e6-9cc9-00000000b0b1"
M.DEMOG = "de300000-9a50-11e6-9cc9-00000000de30"
M.ROWS = 300
M.DEMO_DB = "d3b00000-9a50-11e6-9cc9-0000000d3b00"
M.DEMO_FILES_CONN = "6b4b3d00-9a50-11e6-9cc9-aa0000d3f11e" -- files.CONNECTION_IDS
M.DEMO_DB_CREDENTIALS = "d3c00000-9a50-11e6-9cc9-0000000d3c00"
M.HELLO_SCRIPT = "5c400000-9a50-11e6-9cc9-000000005c40"
M.DEMOG_QUERY = "9e400000-9a50-11e6-9cc9-000000009e40"
M.DEMO_PACKAGE = "9ac00000-9a50-11e6-9cc9-000000009ac0"
M.DEMO_PACKAGE_V1 = "9ac10000-9a50-11e6-9cc9-000000009ac1"
--- The demo database's password (emulator demo content, not a real secret): specs
-- check that it never shows.
M.DEMO_DB_PASSWORD = "demo-db-password-1234"

--- The demog CSV: the same text every time (a fixed linear congruential generator).
function M.demog_csv()
  local x = 20161027
  local function rand(n)
    x = (x * 1103515245 + 12345) % 2147483648
    return (x >> 8) % n
  end
  local races = { "Caucasian", "Asian", "Black", "Other" }
  local lines = { "subject,age,sex,race,height,weight" }
  for i = 1, M.ROWS do
    local sex = rand(2) == 0 and "F" or "M"
    local base_h = sex == "F" and 1550 or 1680
    lines[#lines + 1] = ("S%04d,%d,%s,%s,%.1f,%.1f"):format(i, 18 + rand(63), sex, races[1 + rand(4)],
      (base_h + rand(300)) / 10, (480 + rand(700)) / 10)
  end
  return table.concat(lines, "\n") .. "\n"
end

local DEMO_FILES = {
  ["cars.csv"] = "model,mpg,cylinders,horsepower\nMazda RX4,21.0,6,110\nDatsun 710,22.8,4,93\n"
    .. "Hornet 4 Drive,21.4,6,110\nValiant,18.1,6,105\nDuster 360,14.3,8,245\n",
  ["README.md"] = "# DemoFiles\n\nSample files served by the datagrok emulator (--demo).\n",
  ["chem/smiles.csv"] = "id,smiles\n1,CCO\n2,c1ccccc1\n3,CC(=O)O\n4,CN1C=NC2=C1C(=O)N(C(=O)N2C)C\n",
  ["chem/assays/ic50.csv"] = "compound,target,ic50_nm\nC-001,EGFR,12.5\nC-002,EGFR,340\nC-003,HER2,57.1\n",
}

--- Seeds the connections, functions and package of the demo (once per data dir, also
-- into a data dir seeded before they existed); saves what it changed.
function M.seed_api(state)
  if state.meta.demo_api then return end
  local now = reply.now()
  state.connections[M.DEMO_DB] = {
    id = M.DEMO_DB, name = "DemoDB", namespace = "Demo:", friendlyName = "Demo DB",
    description = "The demo database (emulated: nothing listens)", dataSource = "Postgres",
    parameters = { server = "db.demo.local", port = 5432, db = "demo" }, tags = { "demo" },
    createdOn = now, updatedOn = now }
  state.credentials[M.DEMO_DB_CREDENTIALS] = {
    id = M.DEMO_DB_CREDENTIALS, entityBindId = M.DEMO_DB,
    parameters = { login = "demo", password = M.DEMO_DB_PASSWORD }, openParameters = {} }
  state.connections[M.DEMO_FILES_CONN] = {
    id = M.DEMO_FILES_CONN, name = "DemoFiles", namespace = "System:", friendlyName = "Demo files",
    description = "The System:DemoFiles share", dataSource = "Files",
    parameters = { dir = "system.demofiles" }, tags = { "demo", "files" }, createdOn = now, updatedOn = now }
  state.functions[M.HELLO_SCRIPT] = {
    id = M.HELLO_SCRIPT, name = "Hello", namespace = "Demo:", friendlyName = "Hello",
    description = "Greets someone", source = "script", language = "python",
    script = "#name: Hello\n#language: python\n#input: string who\n#output: string greeting\n"
      .. "greeting = 'Hello, ' + who\n",
    params = { { name = "who", propertyType = "string", isInput = true },
               { name = "greeting", propertyType = "string", isInput = false } },
    tags = { "demo" }, options = {}, createdOn = now, updatedOn = now }
  state.functions[M.DEMOG_QUERY] = {
    id = M.DEMOG_QUERY, name = "DemogByRace", namespace = "Demo:", friendlyName = "Demog by race",
    description = "Subjects of one race", source = "data-query", connection = M.DEMO_DB,
    query = "--input: string race\nselect * from demog where race = @race",
    params = { { name = "race", propertyType = "string", isInput = true },
               { name = "result", propertyType = "dataframe", isInput = false } },
    tags = { "demo" }, options = {}, createdOn = now, updatedOn = now }
  state.packages[M.DEMO_PACKAGE] = {
    id = M.DEMO_PACKAGE, name = "Demo", friendlyName = "Demo", fullName = "@datagrok/demo",
    description = "Demo scripts and queries", category = "Demo", createdOn = now, updatedOn = now }
  state.published[M.DEMO_PACKAGE_V1] = {
    id = M.DEMO_PACKAGE_V1, package = M.DEMO_PACKAGE, version = "1.0.0", isCurrent = true, debug = false,
    packageAuthor = "admin@datagrok.local", publishedOn = now, commit = "0000000", createdOn = now,
    updatedOn = now }
  state.meta.demo_api = true
  state:save_all("connections", "credentials", "functions", "packages", "published", "meta")
end

--- Seeds the demo content into state unless it was seeded before; saves everything.
function M.seed(state)
  if state.meta.demo then return M.seed_api(state) end
  local admin = users.ensure_admin(state)
  local alice = users.add(state, { id = M.ALICE, group_id = M.ALICE_GROUP, login = "alice",
                                   firstName = "Alice", lastName = "Smith", email = "alice@datagrok.local" })
  local bob = users.add(state, { id = M.BOB, group_id = M.BOB_GROUP, login = "bob",
                                 firstName = "Bob", lastName = "Jones", email = "bob@datagrok.local" })
  local function group(id, name, description)
    local g = groups.new_record({ id = id, name = name, description = description })
    state.groups[g.id] = g
    return g
  end
  local all = group(M.ALL_USERS, "All users", "Every user of the platform")
  local dev = group(M.DEVELOPERS, "Developers", "Package developers")
  local adm = group(M.ADMINISTRATORS, "Administrators", "Platform administrators")
  local chem = group(M.CHEMISTS, "Chemists", "Medicinal chemistry team")
  for _, u in ipairs({ admin, alice, bob }) do groups.relate(state, all.id, u.group, false) end
  groups.relate(state, adm.id, admin.group, true)
  groups.relate(state, dev.id, admin.group, true)
  groups.relate(state, dev.id, alice.group, false)
  groups.relate(state, chem.id, alice.group, true)
  groups.relate(state, chem.id, bob.group, false)

  local csv = M.demog_csv()
  local t = { id = M.DEMOG, name = "demog", grokName = "Demo:demog", createdOn = reply.now(),
              updatedOn = reply.now(), size = #csv }
  fs.write_atomic(state.tables_dir .. "/" .. t.id .. ".csv", csv)
  state.tables[t.id] = t

  local root = files.connector_root(state, "System:DemoFiles")
  local contents = { ["demog.csv"] = csv }
  for k, v in pairs(DEMO_FILES) do contents[k] = v end
  for rel, data in pairs(contents) do
    local path = files.safe_join(root, rel)
    fs.mkdirs(path:match("^(.*)/[^/]*$"))
    fs.write_atomic(path, data)
  end
  state.meta.demo = true
  state:save_all("users", "groups", "relations", "tables", "meta")
  M.seed_api(state)
end

return M
