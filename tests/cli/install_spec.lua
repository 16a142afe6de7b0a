-- The installed tool: `--version` with the commit, the man page datagrok(1) (lint clean
-- and covering every flag, exit code and environment variable the program has), the
-- bash completion, and what `cmake --install` lays out. The Debian package built from
-- the same rules is checked by tests/package/run.
local proc = require "proc"

local root = proc.root
local man = root .. "/man/datagrok.1"
local build = proc.bin:match("^(.*)/[^/]+$") or "."

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The flags a usage text names: words starting with - or -- after a blank, '[' or '('.
local function flags_of(text)
  local seen, list = {}, {}
  for tok in text:gmatch("[%s%[%(](%-%-?%a[%w%-]*)") do
    if not seen[tok] then seen[tok] = true; list[#list + 1] = tok end
  end
  return list
end

-- Runs the completion function on a command line (words; the last is being completed).
local function complete(words, cwd, env)
  local quoted = {}
  for i, w in ipairs(words) do quoted[i] = proc.quote(w) end
  local script = ("source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _datagrok; printf '%%s\\n' \"${COMPREPLY[@]}\"")
    :format(proc.quote(root .. "/completion/datagrok.bash"), table.concat(quoted, " "), #words - 1)
  local r = proc.sh("bash -c " .. proc.quote(script), {cwd = cwd, env = env})
  assert.are.equal(0, r.code, r.stderr)
  local set = {}
  for line in r.stdout:gmatch("[^\n]+") do set[line] = true end
  return set
end

describe("installing datagrok", function()
  local help = proc.run({"--help"}).stdout
  local emulate_help = proc.run({"emulate", "--help"}).stdout

  it("names the version and the commit it was built from", function()
    local r = proc.run({"--version"})
    assert.are.equal(0, r.code)
    local g = io.popen("git -C " .. proc.quote(root) .. " rev-parse --short=12 HEAD 2>/dev/null")
    local head = g:read("l")
    g:close()
    local expect = head and head:match("^%x+$") and head or "unknown"
    assert.are.equal(("datagrok 0.1.0 (commit %s)"):format(expect), r.stdout:match("^(.-) %-%- "))
    assert.are.equal(r.stdout, proc.run({"-v", "-e", ""}).stdout)
  end)

  it("has a man page that mandoc -T lint finds clean", function()
    local r = proc.sh("mandoc -T lint -W style " .. proc.quote(man))
    assert.are_not.equal(127, r.code, "mandoc is not installed (scripts/setup installs it)")
    local problems = {}
    for line in (r.stdout .. r.stderr):gmatch("[^\n]+") do
      -- about the page itself; whether cron(8) and friends are installed (and indexed in
      -- mandoc.db) is the machine's business, not the page's
      if line:find(man, 1, true) and not line:find("referenced manual not found", 1, true) then
        problems[#problems + 1] = line
      end
    end
    assert.are.same({}, problems)
  end)

  it("documents every flag of both usages, every exit code and environment variable", function()
    local page = slurp(man)
    local flags = flags_of(help)
    for _, f in ipairs(flags_of(emulate_help)) do flags[#flags + 1] = f end
    assert.is_true(#flags >= 20, "the usage texts name fewer flags than expected")
    for _, f in ipairs(flags) do
      -- mdoc spells --port as "Fl -port" and -e as "Fl e"
      assert.is_truthy(page:find("Fl " .. f:sub(2):gsub("%-", "%%-") .. "%f[^%w%-]"), "no " .. f .. " in the man page")
    end
    local codes = help:match("Exit codes:(.*)$")
    local n = 0
    for code in codes:gmatch("(%d+) %a") do
      n = n + 1
      assert.is_truthy(page:find("\n%.It " .. code .. "\n"), "no exit code " .. code .. " in the man page")
    end
    assert.are.equal(9, n)
    -- every variable the C or Lua code reads
    local p = io.popen("grep -rhoE '(getenv|env)\\(\"[A-Z_0-9a-z]+\"' " .. proc.quote(root .. "/src") .. " "
                       .. proc.quote(root .. "/lua"))
    local vars = 0
    for name in p:read("a"):gmatch('"([%w_]+)"') do
      vars = vars + 1
      assert.is_truthy(page:find("Ev " .. name .. "%f[^%w_]"), "no " .. name .. " in the man page")
    end
    p:close()
    assert.is_true(vars >= 5)
  end)

  it("completes every option, the emulate subcommand and its flags in bash", function()
    local top = complete({"datagrok", "-"})
    for _, f in ipairs(flags_of((help:gsub("[^\n]* emulate [^\n]*", "")))) do assert.is_true(top[f], "no completion for " .. f) end
    local emu = complete({"datagrok", "emulate", "-"})
    for _, f in ipairs(flags_of(emulate_help)) do assert.is_true(emu[f], "no completion for emulate " .. f) end
    assert.is_nil(emu["--log-level"])
    assert.are.same({error = true, warn = true, info = true, debug = true, trace = true},
                    complete({"datagrok", "--log-level", ""}))
    assert.is_true(complete({"datagrok", "em"}).emulate)
    -- --profile offers the profile names of ~/.grok/config.yaml
    local home = proc.temp_dir()
    os.execute("mkdir -p " .. proc.quote(home .. "/.grok"))
    local f = assert(io.open(home .. "/.grok/config.yaml", "w"))
    f:write("default: emu\nservers:\n  emu:\n    url: http://127.0.0.1:1\n    key: k\n  prod:\n    url: https://x\n    key: k2\n")
    f:close()
    assert.are.same({emu = true, prod = true}, complete({"datagrok", "--profile", ""}, nil, {HOME = home}))
    os.execute("rm -rf " .. proc.quote(home))
    -- after the script the words are the script's own: files, not our options
    local dir = proc.temp_dir()
    assert(io.open(dir .. "/job.lua", "w")):close()
    assert(io.open(dir .. "/data.csv", "w")):close()
    assert.are.same({["job.lua"] = true}, complete({"datagrok", "--emulate", ""}, dir))
    local after = complete({"datagrok", "job.lua", ""}, dir)
    assert.is_true(after["data.csv"])
    assert.is_nil(complete({"datagrok", "job.lua", "--"}, dir)["--emulate"])
    os.execute("rm -rf " .. proc.quote(dir))
  end)

  it("installs the binary, the man page, the completion and the docs with cmake --install", function()
    local prefix = proc.temp_dir()
    local r = proc.sh("cmake --install " .. proc.quote(build) .. " --prefix " .. proc.quote(prefix))
    assert.are.equal(0, r.code, r.stderr)
    for _, f in ipairs({"bin/datagrok", "share/man/man1/datagrok.1.gz",
                        "share/bash-completion/completions/datagrok",
                        "share/doc/datagrok/README.md", "share/doc/datagrok/copyright",
                        "share/doc/datagrok/examples/quickstart.lua"}) do
      assert.is_truthy(io.open(prefix .. "/" .. f), "not installed: " .. f)
    end
    -- every workflow, unit and crontab the tree has (they are globbed, not listed)
    local p = io.popen("cd " .. proc.quote(root) .. " && ls scripts/*.lua && find scripts/systemd scripts/cron docs -type f 2>/dev/null")
    local n = 0
    for f in p:read("a"):gmatch("[^\n]+") do
      local dest = f:gsub("^scripts/systemd/", "systemd/"):gsub("^scripts/cron/", "cron/"):gsub("^scripts/", "examples/")
      assert.is_truthy(io.open(prefix .. "/share/doc/datagrok/" .. dest), "not installed: " .. f)
      n = n + 1
    end
    p:close()
    assert.is_true(n >= 3)
    local z = proc.sh("gzip -dc " .. proc.quote(prefix .. "/share/man/man1/datagrok.1.gz"))
    assert.are.equal(slurp(man), z.stdout)
    assert.are.equal(slurp(root .. "/completion/datagrok.bash"),
                     slurp(prefix .. "/share/bash-completion/completions/datagrok"))
    local v = proc.sh(proc.quote(prefix .. "/bin/datagrok") .. " --version")
    assert.are.equal(proc.run({"--version"}).stdout, v.stdout)
    os.execute("rm -rf " .. proc.quote(prefix))
  end)
end)
