-- scripts/provision.lua, the provisioning workflow: users resolved by login through
-- dg.users, idempotent on a second run, PARTIAL (exit 6) when a login does not exist.
local proc = require "proc"

local SCRIPT = proc.root .. "/scripts/provision.lua"

describe("scripts/provision.lua under --emulate", function()
  it("creates the demo groups and adds members by login, admins flagged", function()
    local r = proc.run({"--emulate", SCRIPT})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("Assay team: created\n", r.stdout, 1, true)
    assert.matches("Assay team: alice added\n", r.stdout, 1, true)
    assert.matches("Assay team: group:Chemists added\n", r.stdout, 1, true)
    assert.matches("Assay team: bob (admin) added\n", r.stdout, 1, true)
    assert.matches("Reviewers: bob added\n", r.stdout, 1, true)
    assert.matches("done\n$", r.stdout)
  end)

  it("runs twice against one server: the second run changes nothing", function()
    local runner = proc.write_temp(([[
      local datagrok = require "datagrok"
      arg = {}
      dofile(%q)
      dofile(%q)
    ]]):format(SCRIPT, SCRIPT), ".lua")
    local r = proc.run({"--emulate", runner})
    os.remove(runner)
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("Assay team: alice noop\n", r.stdout, 1, true)
    assert.matches("Assay team: bob (admin) noop\n", r.stdout, 1, true)
  end)

  it("exits 6 (PARTIAL) when a login does not exist, after applying the rest", function()
    local spec = proc.write_temp('{"groups": [{"name": "Mixed", "members": ["alice", "nobody"]}]}', ".json")
    local r = proc.run({"--emulate", SCRIPT, spec})
    os.remove(spec)
    assert.are.equal(6, r.code, r.stderr)
    assert.matches("Mixed: alice added\n", r.stdout, 1, true)
    assert.matches("Mixed: nobody: API_ERROR", r.stdout, 1, true)
    assert.matches("PARTIAL", r.stderr, 1, true)
  end)
end)
