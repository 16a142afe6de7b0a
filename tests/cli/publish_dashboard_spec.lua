-- scripts/publish-dashboard.lua against the emulator: the happy path (text and
-- --json), a dry run, checks before any change, an injected failure with its exit
-- code, a second run that replaces in place, and cron-like conditions.
local emulator = require "emulator"
local tree = require "synctree"
local wf = require "workflow"
local json = emulator.json

local e, home, dir

local function publish(args, env) return wf.cron(home, "publish-dashboard.lua", args, env) end

local function state(name) return json.decode(emulator.read_file(e.data .. "/state/" .. name .. ".json")) end

local function posts()
  local n = 0
  for _, r in ipairs(e:requests()) do
    if r.method == "POST" and not r.path:match("^/users/login/") then n = n + 1 end
  end
  return n
end

setup(function()
  e = emulator.start{demo = true, faults = true}
  home = wf.home(e)
  dir = tree.tmpdir()
  tree.write(dir .. "/sales.csv", "region,amount\nnorth,10\nsouth,12.5\n")
  tree.write(dir .. "/regions.csv", "region,manager\nnorth,alice\nsouth,bob\n")
  tree.write(dir .. "/layout.json", '{"#type": "ViewLayout", "viewStateMap": {}}')
end)
teardown(function()
  if e then e:stop() end
  tree.rm(home)
  tree.rm(dir)
end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("publish-dashboard", function()
  local first

  it("uploads the tables, creates and shares the dashboard, prints the identifiers", function()
    local r = publish({"--name", "Weekly sales", "--layout", dir .. "/layout.json", "--share",
      "Chemists,alice", "--access", "Edit", dir .. "/sales.csv", dir .. "/regions.csv"})
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("", r.stderr)
    local lines = wf.lines(r.stdout)
    assert.are.equal(4, #lines)
    local sales_id = lines[1]:match("^table sales: id=(%S+) grok_name=Admin:sales:sales url=%S+$")
    local regions_id = lines[2]:match("^table regions: id=(%S+) grok_name=Admin:regions:regions ")
    local dash_id = lines[3]:match("^dashboard Weekly sales: id=(%S+) url=")
    assert.is_truthy(sales_id and regions_id and dash_id)
    assert.are.equal("shared with Chemists, alice (Edit)", lines[4])
    local d = state("dashboards")[dash_id]
    assert.are.same({sales_id, regions_id}, d.tables)
    assert.are.equal("ViewLayout", json.decode(d.layout)["#type"])
    local n = 0
    for _, access in pairs(d.shares) do assert.are.equal("Edit", access); n = n + 1 end
    assert.are.equal(2, n)
    assert.are.equal("region,amount\nnorth,10\nsouth,12.5\n",
      emulator.read_file(e.data .. "/tables/" .. sales_id .. ".csv"))
    first = {sales = sales_id, regions = regions_id, dashboard = dash_id}
  end)

  it("a second run replaces in place: same table and dashboard ids, --json for machines", function()
    tree.write(dir .. "/sales.csv", "region,amount\nnorth,11\n")
    local r = publish({"--json", "--name", "Weekly sales", "--share", "Chemists",
      dir .. "/sales.csv", dir .. "/regions.csv"})
    assert.are.equal(0, r.code, r.stderr)
    local out = json.decode(r.stdout)
    assert.are.equal(first.dashboard, out.dashboard.id)
    assert.are.equal("Weekly sales", out.dashboard.name)
    assert.are.same({first.sales, first.regions}, {out.tables[1].id, out.tables[2].id})
    assert.are.equal("Admin:sales:sales", out.tables[1].grok_name)
    assert.are.same({"Chemists"}, out.shared)
    assert.are.equal("View", out.access)
    assert.are.equal("region,amount\nnorth,11\n", emulator.read_file(e.data .. "/tables/" .. first.sales .. ".csv"))
    local count = 0
    for _ in pairs(state("dashboards")) do count = count + 1 end
    assert.are.equal(1, count)
  end)

  it("a dry run checks and prints the plan, and sends no change", function()
    local r = publish({"--dry-run", "--name", "Plan only", "--share", "Developers", dir .. "/sales.csv"})
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("publish-dashboard: 3 changes (dry run: none is applied)\n"
      .. "  + upload table sales from " .. dir .. "/sales.csv (23 bytes)\n"
      .. "  + create dashboard 'Plan only' of sales\n"
      .. "  + share it with Developers (View)\n", r.stdout)
    assert.are.equal(0, posts())
  end)

  it("stops before any change for a missing file, a bad layout or an unknown group (exit 2)", function()
    local r = publish({"--name", "X", dir .. "/missing.csv"})
    assert.are.equal(2, r.code)
    assert.matches("^publish%-dashboard: CSV .-missing%.csv: No such file or directory %(see publish%-dashboard %-%-help%)\n$", r.stderr)
    tree.write(dir .. "/bad.json", "[1,")
    r = publish({"--name", "X", "--layout", dir .. "/bad.json", dir .. "/sales.csv"})
    assert.are.equal(2, r.code)
    assert.matches("CONFIG: the layout .-bad%.json is not a JSON object", r.stderr)
    r = publish({"--name", "X", "--share", "Chemists,Nobody", dir .. "/sales.csv"})
    assert.are.equal(2, r.code)
    assert.are.equal("publish-dashboard.lua: CONFIG: --share: no group or user named 'Nobody'\n", r.stderr)
    r = publish({"--name", "X"})
    assert.are.equal(2, r.code)
    assert.matches("CSV is required", r.stderr)
    assert.are.equal(0, posts())
  end)

  it("exits 4 when the server fails to create the dashboard, one line, no key", function()
    e:fault{prefix = "/public/v1/dashboards/", method = "POST", action = "status", status = 500}
    local r = publish({"--name", "Broken", dir .. "/sales.csv"})
    assert.are.equal(4, r.code, r.stdout .. r.stderr)
    assert.matches("^table sales: id=", r.stdout)
    assert.matches("^publish%-dashboard%.lua: HTTP_500: injected fault: status 500 %(POST [^\n]*%-> 500%)\n$", r.stderr)
    for _, s in ipairs({r.stdout, r.stderr}) do assert.is_nil(s:find(e.key, 1, true)) end
  end)

  it("prints its help", function()
    local r = publish({"--help"})
    assert.are.equal(0, r.code)
    assert.matches("^usage: publish%-dashboard %-%-name NAME %[options%] CSV%.%.%.\n", r.stdout)
  end)
end)
