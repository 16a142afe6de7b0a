-- The emulator's smart filter (lua/datagrok/emulator/filter.lua): the subset of the
-- server's `text` grammar the clients and the grok documentation use.
local filter = require "datagrok.emulator.filter"
local reply = require "datagrok.emulator.reply"

local fields = {
  login = function(u) return u.login end,
  status = function(u) return u.status end,
  name = function(u) return u.name end,
  ["package.shortname"] = function(u) return u.pkg end,
  admin = function(u) return u.admin end,
}
local people = {
  {login = "alice", status = "active", name = "Alice Smith", pkg = "Chem", admin = true},
  {login = "bob", status = "blocked", name = "Bob Jones", pkg = "Bio", admin = false},
  {login = "carol", status = "active", name = "Carol and Dave", pkg = nil, admin = false},
}

local function logins(text)
  local out = {}
  local pred = filter.compile(text, fields, {"login", "name"})
  for _, p in ipairs(people) do if pred(p) then out[#out + 1] = p.login end end
  return table.concat(out, ",")
end

describe("emulator smart filter", function()
  it("matches equality with any quoting, case-insensitively", function()
    assert.are.equal("alice", logins('login = "alice"'))
    assert.are.equal("alice", logins("login='ALICE'"))
    assert.are.equal("alice", logins("login=alice"))
    assert.are.equal("alice", logins("admin = true"))
  end)

  it("matches !=, in (...), contains, dotted fields and free text", function()
    assert.are.equal("alice,carol", logins('status != "blocked"'))
    assert.are.equal("alice,bob", logins('login in ("alice", \'bob\')'))
    assert.are.equal("bob", logins('name contains "jon"'))
    assert.are.equal("bob", logins('package.shortName = "Bio"'))
    assert.are.equal("alice", logins("smith"))
    assert.are.equal("alice,bob,carol", logins(""))
    assert.are.equal("alice,bob,carol", logins(nil))
  end)

  it("joins terms with and, but not inside quotes", function()
    assert.are.equal("carol", logins('status = "active" and name = "Carol and Dave"'))
    assert.are.equal("", logins('status = "active" AND login = "bob"'))
  end)

  it("matches a field whose getter gives several values when any matches", function()
    local f = {name = function(g) return {g.name, g.friendly} end}
    local pred = filter.compile('name = "chemists"', f, {"name"})
    assert.is_true(pred({name = "chem", friendly = "Chemists"}))
    assert.is_false(pred({name = "chem", friendly = "Chem team"}))
    assert.is_true(filter.compile("team", f, {"name"})({name = "chem", friendly = "Chem team"}))
  end)

  it("answers 400 for a boolean field compared with anything but true or false", function()
    local ok, err = pcall(filter.compile, "admin = maybe", fields, {}, {admin = true})
    assert.is_false(ok)
    assert.matches("admin must be true or false", reply.raised(err).body)
  end)

  it("answers 400 naming an unknown field", function()
    local ok, err = pcall(filter.compile, "shoe = 3", fields, {})
    assert.is_false(ok)
    local res = reply.raised(err)
    assert.are.equal(400, res.status)
    assert.matches("shoe", res.body)
  end)
end)
