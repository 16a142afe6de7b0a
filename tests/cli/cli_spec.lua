-- The command line: lua.c compatibility, datagrok options, errors and exit codes.
local proc = require "proc"

describe("datagrok command line", function()
  it("prints the version from the module", function()
    local r = proc.run({"-e", 'print(require("datagrok").VERSION)'})
    assert.are.equal(0, r.code)
    assert.matches("^%d+%.%d+%.%d+\n$", r.stdout)
  end)

  it("runs stdin with '-' and when stdin is piped", function()
    assert.are.equal("2\n", proc.run({"-"}, {stdin = "print(1+1)"}).stdout)
    local r = proc.run({}, {stdin = "print(1+1)"})
    assert.are.equal(0, r.code)
    assert.are.equal("2\n", r.stdout)
  end)

  it("passes arguments in arg and as varargs", function()
    local script = proc.write_temp('print(arg[0] ~= nil, arg[1], arg[2], select("#", ...), ...)', ".lua")
    local r = proc.run({script, "a", "b c"})
    assert.are.equal("true\ta\tb c\t2\ta\tb c\n", r.stdout)
    r = proc.run({"-e", "print(arg[-1] ~= nil)", script, "x"})
    assert.are.equal("true\ntrue\tx\tnil\t1\tx\n", r.stdout)
    os.remove(script)
  end)

  it("runs -e and -l in order before the script, with -l g=mod", function()
    local r = proc.run({"-l", "j=datagrok.json", "-e", "print(j.encode({1}))", "-e", "print(2)"})
    assert.are.equal(0, r.code)
    assert.are.equal("[1]\n2\n", r.stdout)
    r = proc.run({"-l", "string", "-e", "print(string == require'string')"})
    assert.are.equal("true\n", r.stdout)
  end)

  it("treats -- as the end of options", function()
    local script = proc.write_temp("print(...)", ".lua")
    local r = proc.run({"--", script, "-e"})
    assert.are.equal("-e\n", r.stdout)
    os.remove(script)
  end)

  it("runs a #! script directly", function()
    local dir = proc.temp_dir()
    local path = dir .. "/hello"
    local f = assert(io.open(path, "w"))
    f:write("#!/usr/bin/env datagrok\nprint('hello ' .. arg[1])\n")
    f:close()
    os.execute("chmod +x " .. proc.quote(path))
    local bindir = proc.bin:match("^(.*)/[^/]+$")
    local r = proc.sh(proc.quote(path) .. " world", {env = {PATH = bindir .. ":/usr/bin:/bin"}})
    assert.are.equal(0, r.code)
    assert.are.equal("hello world\n", r.stdout)
    os.execute("rm -rf " .. proc.quote(dir))
  end)

  it("exits 1 with the message and a traceback for an unhandled error", function()
    local script = proc.write_temp("local function inner() error('boom') end\ninner()\n", ".lua")
    local r = proc.run({script})
    assert.are.equal(1, r.code)
    assert.matches("datagrok: [^\n]*:1: boom\n", r.stderr)
    assert.matches("stack traceback:", r.stderr)
    assert.matches("in local 'inner'", r.stderr)
    os.remove(script)
  end)

  it("reports a datagrok.Error in one line (plus a traceback unless expected) and maps its exit code", function()
    local cases = {
      {"USAGE", 2}, {"CONFIG", 2}, {"AUTH", 1}, {"TIMEOUT", 4}, {"CONNECT", 4},
      {"UNSAFE_SYNC", 5}, {"PARTIAL", 6}, {"LOCKED", 7}, {"INTERRUPTED", 130}, {"IO", 1},
    }
    for _, c in ipairs(cases) do
      local r = proc.run({"-e", ("error(require('datagrok').Error.new(%q, 'it failed'))"):format(c[1])})
      assert.are.equal(c[2], r.code, c[1])
      assert.matches("datagrok: " .. c[1] .. ": it failed\n", r.stderr, 1, true)
      if c[2] == 1 then -- not an expected failure: the traceback stays
        assert.matches("stack traceback:", r.stderr)
      else
        assert.are.equal("datagrok: " .. c[1] .. ": it failed\n", r.stderr)
      end
    end
    local r = proc.run({"-e", "error(require('datagrok').Error.new('HTTP_403', 'no', {status = 403}))"})
    assert.are.equal(3, r.code)
    r = proc.run({"-e", "error(require('datagrok').Error.new('HTTP_503', 'down', {status = 503}))"})
    assert.are.equal(4, r.code)
  end)

  it("reports a syntax error with exit 1", function()
    local r = proc.run({"-e", "x = = 1"})
    assert.are.equal(1, r.code)
    assert.matches("datagrok: .*unexpected symbol", r.stderr)
  end)

  it("rejects a bad flag with usage and exit 2", function()
    for _, args in ipairs({{"--bogus"}, {"-x"}, {"-e"}, {"--log-level", "loud", "-e", ""},
                           -- long options match by whole name, and flags take no value
                           {"--log-levelx", "debug", "-e", ""}, {"--log-filex=f", "-e", ""},
                           {"--emulate=1", "-e", ""}, {"--helpme"}, {"--versions"}, {"--log-file"}}) do
      local r = proc.run(args)
      assert.are.equal(2, r.code, table.concat(args, " "))
      assert.matches("usage: datagrok", r.stderr)
    end
  end)

  it("registers only the client's modules in a script's state (the emulator's stay in its own)", function()
    local r = proc.run({"-e", [[
      for _, m in ipairs({"datagrok", "datagrok.client.core", "datagrok.json", "datagrok.dataframe"}) do
        assert(package.preload[m], m .. " is missing")
      end
      for name in pairs(package.preload) do
        assert(not name:find("^datagrok%.emulator"), name .. " is visible to scripts")
      end
      print("ok")]]})
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("ok\n", r.stdout)
  end)

  it("documents its options in --help", function()
    local r = proc.run({"--help"})
    assert.are.equal(0, r.code)
    for _, word in ipairs({"--log-level", "-e stat", "-l mod", "-i", "-E", "Exit codes"}) do
      assert.matches(word, r.stdout, 1, true)
    end
  end)

  it("prints the version with -v", function()
    local r = proc.run({"-v"})
    assert.are.equal(0, r.code)
    assert.matches("^datagrok %d+%.%d+%.%d+ %(commit [%w]+%) %-%- Lua 5%.4", r.stdout)
  end)

  it("puts the script's directory first in package.path, with no relative entries", function()
    local dir = proc.temp_dir()
    local f = assert(io.open(dir .. "/mymod.lua", "w"))
    f:write("return {answer = 42}")
    f:close()
    f = assert(io.open(dir .. "/main.lua", "w"))
    f:write("print(require('mymod').answer)\nprint(package.path)\nprint(package.cpath)\n")
    f:close()
    local r = proc.run({dir .. "/main.lua"}, {cwd = "/"})
    assert.are.equal(0, r.code, r.stderr)
    local answer, path, cpath = r.stdout:match("^(.-)\n(.-)\n(.-)\n$")
    assert.are.equal("42", answer)
    assert.are.equal(1, path:find(dir .. "/?.lua", 1, true))
    for entry in (path .. ";" .. cpath):gmatch("[^;]+") do
      assert.are.equal("/", entry:sub(1, 1), entry)
    end
    os.execute("rm -rf " .. proc.quote(dir))
  end)

  it("runs LUA_INIT unless -E, and loads Lua modules from DATAGROK_LUA_DIR unless -E", function()
    local r = proc.run({"-e", "print(INITED)"}, {env = {LUA_INIT = "INITED = 'yes'"}})
    assert.are.equal("yes\n", r.stdout)
    r = proc.run({"-E", "-e", "print(INITED)"}, {env = {LUA_INIT = "INITED = 'yes'"}})
    assert.are.equal("nil\n", r.stdout)
    local dir = proc.temp_dir()
    os.execute("mkdir -p " .. dir .. "/datagrok && cp " .. proc.quote(proc.root) ..
      "/lua/datagrok/*.lua " .. dir .. "/datagrok/")
    local f = assert(io.open(dir .. "/datagrok/repl.lua"))
    local src = f:read("a")
    f:close()
    f = assert(io.open(dir .. "/datagrok/repl.lua", "w"))
    f:write("OVERRIDDEN = true\n", src)
    f:close()
    r = proc.run({"-e", "require 'datagrok.repl'; print(OVERRIDDEN)"}, {env = {DATAGROK_LUA_DIR = dir}})
    assert.are.equal("true\n", r.stdout, r.stderr)
    r = proc.run({"-E", "-e", "require 'datagrok.repl'; print(OVERRIDDEN)"}, {env = {DATAGROK_LUA_DIR = dir}})
    assert.are.equal("nil\n", r.stdout)
    os.execute("rm -rf " .. proc.quote(dir))
  end)

  it("names the embedded module files in tracebacks", function()
    local r = proc.run({"-e", "require('datagrok.json').decode('{')"})
    assert.are.equal(1, r.code)
    assert.matches("JSON: invalid JSON", r.stderr)
    r = proc.run({"-e", "require('datagrok.repl').complete(nil)"})
    assert.matches("lua/datagrok/repl.lua:%d+", r.stderr)
  end)

  it("exits 130 when interrupted by SIGINT", function()
    local script = proc.write_temp("io.stdout:write('ready\\n'); io.stdout:flush(); while true do end", ".lua")
    local r = proc.sh(("(%s %s & pid=$!; sleep 0.5; kill -INT $pid; wait $pid; echo \"rc=$?\")")
      :format(proc.quote(proc.bin), proc.quote(script)))
    assert.matches("ready\nrc=130\n", r.stdout)
    assert.matches("INTERRUPTED", r.stderr)
    os.remove(script)
  end)

  it("writes log lines to --log-file with mode 0600", function()
    local log = os.tmpname()
    os.remove(log)
    local r = proc.run({"--log-level", "debug", "--log-file", log, "-e",
      "require('datagrok').log.debug('test', 'hello log')"})
    assert.are.equal(0, r.code, r.stderr)
    local f = assert(io.open(log))
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT[%d:.]+Z debug test: hello log\n$", f:read("a"))
    f:close()
    local p = io.popen("stat -c %a " .. proc.quote(log))
    assert.are.equal("600", p:read("l"))
    p:close()
    os.remove(log)
  end)

  it("creates written files with 0666 minus the process umask, which it reads without changing", function()
    local dir = proc.temp_dir()
    for _, case in ipairs({{"027", "640"}, {"022", "644"}, {"077", "600"}}) do
      local out = dir .. "/t" .. case[1] .. ".csv"
      local r = proc.sh(("umask %s && %s -e %s"):format(case[1], proc.quote(proc.bin), proc.quote(
        ("require('datagrok').DataFrame.from_rows({{1}}, {'a'}):to_csv(%q); " ..
         "print(io.open('/proc/self/status'):read('a'):match('Umask:%%s*(%%d+)'))"):format(out))))
      assert.are.equal(0, r.code, r.stderr)
      assert.are.equal("0" .. case[1] .. "\n", r.stdout) -- the umask is as it was
      local p = io.popen("stat -c %a " .. proc.quote(out))
      assert.are.equal(case[2], p:read("l"), case[1])
      p:close()
    end
    os.execute("rm -rf " .. proc.quote(dir))
  end)

  -- docs/safety.md, promise 14: the last line of defence, what the host prints
  it("prints an unhandled error without a key a client used, nor a terminal escape", function()
    local key = "Zq81kEyKeYxx"
    local r = proc.run({"-e", ("pcall(require('datagrok').new, 'Bearer %s', 'http://127.0.0.1:9'); "
      .. "error('echo %s \27]0;title\7 done')"):format(key, key)})
    assert.are.equal(1, r.code)
    assert.is_nil(r.stderr:find(key, 1, true), r.stderr)
    assert.is_nil(r.stderr:find("\27", 1, true), r.stderr)
    assert.truthy(r.stderr:find("echo *** \\x1b]0;title\\x07 done", 1, true), r.stderr)
  end)
end)
