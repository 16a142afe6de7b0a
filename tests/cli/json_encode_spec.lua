-- json.encode is deterministic: the same table encodes to the same text in every
-- process (Lua's table order changes with the per-state string hash seed), object
-- keys in byte order, with or without sort_keys.
local proc = require "proc"

local SCRIPT = [[
local json = require("datagrok").json
local t = {nested = {}}
for i = 1, 40 do t["key" .. i] = i; t.nested["k" .. (41 - i)] = {x = i, y = tostring(i)} end
io.write(json.encode(t), "\n", json.encode(t, {sort_keys = true}), "\n")
]]

describe("json.encode", function()
  it("gives the same text in every process, keys in byte order", function()
    local seen, first = {}, nil
    for _ = 1, 12 do
      local res = proc.run({"-e", SCRIPT})
      assert.equal(0, res.code, res.stderr)
      local plain, sorted = res.stdout:match("^(.-)\n(.-)\n$")
      assert.equal(sorted, plain)
      seen[plain] = true
      first = first or plain
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.equal(1, n)
    -- byte order: key1 < key10 < key11 ... < key2
    local keys = {}
    for k in first:gmatch('"(key%d+)":') do keys[#keys + 1] = k end
    assert.equal(40, #keys)
    local sorted = {table.unpack(keys)}
    table.sort(sorted)
    assert.same(sorted, keys)
    assert.matches('^{"key1":1,"key10":10,', first)
  end)
end)
