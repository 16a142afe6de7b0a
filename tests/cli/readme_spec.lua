-- Every ```lua block of the README runs as written: each is saved in a fresh empty
-- directory and run there with `datagrok --emulate` (the README says so above its first
-- example), must exit 0, and must print what its `-->` comments promise (white space
-- compared loosely, a trailing "..." meaning "and more").
local proc = require "proc"

local function readme()
  local f = assert(io.open(proc.root .. "/README.md", "rb"))
  local text = f:read("a")
  f:close()
  return text
end

--- The README's Lua blocks in order: {code=, line=, section=}.
local function lua_blocks(text)
  local blocks, section, line = {}, "(top)", 0
  local in_block, code, start
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do
    line = line + 1
    if in_block then
      if l == "```" then
        blocks[#blocks + 1] = {code = table.concat(code, "\n") .. "\n", line = start, section = section}
        in_block = false
      else
        code[#code + 1] = l
      end
    elseif l == "```lua" then
      in_block, code, start = true, {}, line + 1
    elseif l:match("^## ") then
      section = l:sub(4)
    end
  end
  return blocks
end

--- What the `-->` comments promise, white space collapsed, "..." dropped.
local function promises(code)
  local out = {}
  for want in code:gmatch("%-%->%s*([^\n]+)") do
    want = want:gsub("%s*%.%.%.%s*$", ""):gsub("%s+", " ")
    out[#out + 1] = want
  end
  return out
end

local blocks = lua_blocks(readme())

describe("the README's Lua examples", function()
  it("are all found (a renamed fence would skip one silently)", function()
    assert.is_true(#blocks >= 6, "found " .. #blocks)
  end)

  for i, b in ipairs(blocks) do
    it(("#%d (%s, line %d) runs against datagrok --emulate and prints what it promises")
        :format(i, b.section, b.line), function()
      local dir = proc.temp_dir()
      local path = dir .. "/example.lua"
      local f = assert(io.open(path, "wb"))
      f:write(b.code)
      f:close()
      local r = proc.run({"--emulate", path}, {cwd = dir, env = {DATAGROK_URL = "", DATAGROK_API_KEY = ""}})
      os.execute("rm -rf " .. proc.quote(dir))
      assert.are.equal(0, r.code, r.stderr)
      local got = r.stdout:gsub("%s+", " ")
      for _, want in ipairs(promises(b.code)) do
        assert.is_truthy(got:find(want, 1, true), ("missing %q in:\n%s"):format(want, r.stdout))
      end
    end)
  end
end)
