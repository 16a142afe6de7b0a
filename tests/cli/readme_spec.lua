-- Every ```lua block of the README runs as written: each is saved in a fresh empty
-- directory and run there with `datagrok --emulate` (the README says so above its first
-- example), must exit 0, and must print what its `-->` comments promise (white space
-- compared loosely, "..." standing for anything). A block that needs more says so in an
-- HTML comment on the line above its fence, which this spec honours:
--   <!-- readme_spec: args=A B C -->      command-line arguments for the script
--   <!-- readme_spec: setup=profiles -->  no --emulate: a spec-started emulator, and
--                                         ~/.grok/config.yaml (profiles dev, local; default
--                                         dev) plus team.yaml naming it
-- Every block gets ASSAYS_PASSWORD (the resources example reads it), and no block may
-- print it.
local proc = require "proc"
local emulator = require "emulator"

local PASSWORD = "assays-pass-2468"

local function readme()
  local f = assert(io.open(proc.root .. "/README.md", "rb"))
  local text = f:read("a")
  f:close()
  return text
end

--- The README's Lua blocks in order: {code=, line=, section=, args=, setup=}.
local function lua_blocks(text)
  local blocks, section, line, prev = {}, "(top)", 0, ""
  local cur
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do
    line = line + 1
    if cur then
      if l == "```" then
        cur.code = table.concat(cur.lines, "\n") .. "\n"
        blocks[#blocks + 1] = cur
        cur = nil
      else
        cur.lines[#cur.lines + 1] = l
      end
    elseif l == "```lua" then
      cur = {lines = {}, line = line + 1, section = section}
      for k, v in prev:gmatch("readme_spec:%s*(%w+)=(.-)%s*%-%->") do cur[k] = v end
    elseif l:match("^## ") then
      section = l:sub(4)
    end
    prev = l
  end
  return blocks
end

--- What the `-->` comments promise: arrays of pieces (white space collapsed) that must
-- appear in this order ("..." separates them).
local function promises(code)
  local out = {}
  for want in code:gmatch("%-%->%s*([^\n]+)") do
    local pieces = {}
    for piece in (want .. "..."):gmatch("(.-)%.%.%.") do
      piece = piece:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
      if piece ~= "" then pieces[#pieces + 1] = piece end
    end
    out[#out + 1] = pieces
  end
  return out
end

local function write(path, text, mode)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  if mode then os.execute("chmod " .. mode .. " " .. proc.quote(path)) end
end

--- The profiles setup: an emulator and the config files that name it.
local function profiles(dir)
  local e = emulator.start{demo = true}
  local yaml = ("servers:\n  dev:\n    url: %s\n    key: %s\n  local:\n    url: %s\n    key: %s\ndefault: dev\n")
    :format(e.url, e.key, e.url, e.key)
  os.execute("mkdir -p " .. proc.quote(dir .. "/home/.grok"))
  write(dir .. "/home/.grok/config.yaml", yaml, "600")
  write(dir .. "/team.yaml", yaml, "600")
  return e, {HOME = dir .. "/home", DATAGROK_PROFILE = ""}
end

local blocks = lua_blocks(readme())

describe("the README's Lua examples", function()
  it("are all found (a renamed fence would skip one silently)", function()
    assert.is_true(#blocks >= 12, "found " .. #blocks)
  end)

  for i, b in ipairs(blocks) do
    it(("#%d (%s, line %d) runs against datagrok --emulate and prints what it promises")
        :format(i, b.section, b.line), function()
      local dir = proc.temp_dir()
      local e
      finally(function()
        if e then e:stop() end
        os.execute("rm -rf " .. proc.quote(dir))
      end)
      write(dir .. "/example.lua", b.code)
      local env = {DATAGROK_URL = "", DATAGROK_API_URL = "", DATAGROK_API_KEY = "", ASSAYS_PASSWORD = PASSWORD}
      local argv = {"--emulate", dir .. "/example.lua"}
      if b.setup == "profiles" then
        local extra
        e, extra = profiles(dir)
        for k, v in pairs(extra) do env[k] = v end
        argv = {dir .. "/example.lua"}
      else
        assert.is_nil(b.setup, "unknown setup " .. tostring(b.setup))
      end
      for a in (b.args or ""):gmatch("%S+") do argv[#argv + 1] = a end
      local r = proc.run(argv, {cwd = dir, env = env})
      assert.are.equal(0, r.code, r.stderr)
      local got = r.stdout:gsub("%s+", " ")
      for _, pieces in ipairs(promises(b.code)) do
        local at = 1
        for _, piece in ipairs(pieces) do
          local s, e2 = got:find(piece, at, true)
          assert.is_truthy(s, ("missing %q in:\n%s"):format(piece, r.stdout))
          at = e2 + 1
        end
      end
      assert.is_nil((r.stdout .. r.stderr):find(PASSWORD, 1, true), "the password was printed")
    end)
  end
end)
