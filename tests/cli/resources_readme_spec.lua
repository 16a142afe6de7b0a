-- The README's provisioning script (section "Resources") runs as shown against
-- `datagrok --emulate`, prints what its comments say, and never prints the password.
local proc = require "proc"

local function readme_script()
  local f = assert(io.open(proc.root .. "/README.md", "rb"))
  local text = f:read("a")
  f:close()
  local section = text:match("\n## Resources: [^\n]*\n(.-)\n## ")
  assert(section, "README has no resources section")
  return assert(section:match("```lua\n(.-)```"), "the resources section has no Lua example")
end

describe("the README's provisioning example", function()
  it("runs against datagrok --emulate and prints what it promises", function()
    local path = proc.write_temp(readme_script(), ".lua")
    local r = proc.run({"--emulate", path}, {env = {DATAGROK_URL = "", DATAGROK_API_KEY = "",
                                                    ASSAYS_PASSWORD = "assays-pass-2468"}})
    os.remove(path)
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("User<admin Admin User active>\n", r.stdout, 1, true)
    assert.matches("User<alice Alice Smith active>\nUser<bob Bob Jones active>\n", r.stdout, 1, true)
    assert.matches("Group<Assay team 1 member>\tadded\n", r.stdout, 1, true)
    assert.matches("Group<Assay team 2 members>\tadded\n", r.stdout, 1, true)
    assert.matches("DataConnection<Admin:Assays Postgres>\t{db = <redacted>, port = <redacted>, server = <redacted>}\n",
      r.stdout, 1, true)
    assert.matches("ShareResponse<success: 1 shared, 0 already, 0 failed>\n", r.stdout, 1, true)
    assert.matches("true\t2\n", r.stdout, 1, true)
    assert.matches("ok\tadmin\n", r.stdout, 1, true)
    assert.is_nil((r.stdout .. r.stderr):find("assays-pass-2468", 1, true))
  end)
end)
