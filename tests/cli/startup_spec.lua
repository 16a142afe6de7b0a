-- Start-up: a run loads only what it uses. The executable links Lua, libedit, libyaml and libc;
-- libcurl (with OpenSSL and its other dependencies) is opened by the first HTTP session
-- and libmicrohttpd by the first emulator (lazylib.h). The cost is measured by
-- tests/bench/run (B7); this checks what gets mapped.
local proc = require "proc"

-- A chunk that prints which of the lazily opened libraries the process has mapped.
local REPORT = [[
  local seen = {}
  for l in io.lines("/proc/self/maps") do
    for _, lib in ipairs({"libcurl", "libmicrohttpd", "libssl", "libcrypto", "libgnutls"}) do
      if l:find("/" .. lib, 1, true) then seen[lib] = true end
    end
  end
  local names = {}
  for lib in pairs(seen) do names[#names + 1] = lib end
  table.sort(names)
  print(table.concat(names, " "))
]]

describe("start-up", function()
  it("links only Lua, libedit, libyaml and the C library", function()
    local r = proc.sh("readelf -d " .. proc.quote(proc.bin))
    assert.are.equal(0, r.code, r.stderr)
    local needed = {}
    for lib in r.stdout:gmatch("%(NEEDED%)%s+Shared library: %[([^%]]+)%]") do
      needed[#needed + 1] = lib:match("^(lib[%w_.%-]-)%.so")
    end
    table.sort(needed)
    assert.are.same({"libc", "libedit", "liblua5.4", "libm", "libyaml-0"}, needed)
  end)

  it("maps no network or server library for a script that does not use them", function()
    local r = proc.run({"-e", "require('datagrok'); local df = require('datagrok').read_csv", "-e", REPORT})
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("\n", r.stdout)
  end)

  it("opens libcurl with the first client, and libmicrohttpd with the first emulator", function()
    local r = proc.run({"-e", "require('datagrok').connect{url = 'http://127.0.0.1:9', api_key = 'k'}", "-e", REPORT})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("libcurl", r.stdout)
    assert.not_matches("libmicrohttpd", r.stdout)
    r = proc.run({"--emulate", "-e", "assert(#require('datagrok').connect():download_table('demog') == 300)",
                  "-e", REPORT})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("libcurl", r.stdout)
    assert.matches("libmicrohttpd", r.stdout)
  end)
end)
