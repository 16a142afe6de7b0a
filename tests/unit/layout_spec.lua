-- The source tree's layers (docs/README.md, "Layout"): each layer includes only
-- its own headers and those of the layers below it, base and codec see no Lua or
-- network library, and no header includes itself back through a cycle.
local root = os.getenv("DATAGROK_SOURCE_DIR") or "."

-- layer -> the layers whose headers it may include (itself included)
local ALLOWED = {
  base = { base = true },
  codec = { base = true, codec = true },
  binding = { base = true, codec = true, binding = true },
  client = { base = true, codec = true, binding = true, client = true },
  emulator = { base = true, codec = true, binding = true, emulator = true },
  host = { base = true, codec = true, binding = true, client = true, emulator = true, host = true },
}

local function files()
  local list = {}
  local p = assert(io.popen(("find %q/src -name '*.[ch]' | sort"):format(root)))
  for path in p:lines() do
    local layer, name = path:match("/src/([%w_]+)/([%w_]+%.[ch])$")
    assert(layer, "a source file outside a layer folder: " .. path)
    list[#list + 1] = { path = path, layer = layer, name = name }
  end
  p:close()
  return list
end

local function includes(path)
  local quoted, system = {}, {}
  for line in io.lines(path) do
    local q = line:match('^%s*#%s*include%s+"([^"]+)"')
    local s = line:match("^%s*#%s*include%s+<([^>]+)>")
    if q then quoted[#quoted + 1] = q end
    if s then system[#system + 1] = s end
  end
  return quoted, system
end

describe("the source layout", function()
  local all = files()
  local header_layer = {}
  for _, f in ipairs(all) do
    if f.name:match("%.h$") then
      assert.is_nil(header_layer[f.name], "two headers named " .. f.name)
      header_layer[f.name] = f.layer
    end
  end

  it("has every file in a known layer", function()
    for _, f in ipairs(all) do assert.is_truthy(ALLOWED[f.layer], f.path) end
  end)

  it("includes only headers of the same or a lower layer", function()
    for _, f in ipairs(all) do
      local quoted = includes(f.path)
      for _, h in ipairs(quoted) do
        local layer = header_layer[h]
        assert.is_truthy(layer, f.path .. " includes an unknown header " .. h)
        assert.is_true(ALLOWED[f.layer][layer] == true,
          ("%s (%s) includes %s from %s"):format(f.path, f.layer, h, layer))
      end
    end
  end)

  it("keeps Lua, libcurl and libmicrohttpd out of base and codec", function()
    for _, f in ipairs(all) do
      if f.layer == "base" or f.layer == "codec" then
        local _, system = includes(f.path)
        for _, h in ipairs(system) do
          assert.is_nil(h:match("^lua") or h:match("^lauxlib") or h:match("^curl/") or
                        h:match("^microhttpd"), f.path .. " includes <" .. h .. ">")
        end
      end
    end
  end)

  it("has no include cycle", function()
    local edges = {}
    for _, f in ipairs(all) do
      if f.name:match("%.h$") then edges[f.name] = (includes(f.path)) end
    end
    local state = {} -- nil: unseen, 1: on the path, 2: done
    local function visit(h, path)
      if state[h] == 1 then error("include cycle: " .. table.concat(path, " -> ") .. " -> " .. h) end
      if state[h] == 2 then return end
      state[h] = 1
      path[#path + 1] = h
      for _, d in ipairs(edges[h] or {}) do visit(d, path) end
      path[#path] = nil
      state[h] = 2
    end
    for h in pairs(edges) do visit(h, {}) end
  end)
end)
