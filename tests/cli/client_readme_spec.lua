-- The README's first groups script runs as shown against `datagrok --emulate`
-- and prints what its comments say.
local proc = require "proc"

local function readme_groups_script()
  local f = assert(io.open(proc.root .. "/README.md", "rb"))
  local text = f:read("a")
  f:close()
  local section = text:match("\n## Client: connecting, errors, retries\n(.-)\n## ")
  assert(section, "README has no client section")
  return assert(section:match("```lua\n(.-)```"), "the client section has no Lua example")
end

describe("the README's groups example", function()
  it("runs against datagrok --emulate and prints what it promises", function()
    local path = proc.write_temp(readme_groups_script(), ".lua")
    local r = proc.run({"--emulate", path}, {env = {DATAGROK_URL = "", DATAGROK_API_KEY = ""}})
    os.remove(path)
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("Group<Chemists 1 member, 1 admin>\n", r.stdout, 1, true)
    assert.matches("admin:%s+Alice Smith\n", r.stdout)
    assert.matches("Group<Assay team 1 member>\n", r.stdout, 1, true)
    assert.matches("API_ERROR%s+group 'no%-such%-group' not found\n", r.stdout)
  end)
end)
