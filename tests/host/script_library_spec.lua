-- The script library inside the binary: datagrok.cli (parsing, types, environment,
-- defaults, required, help), datagrok.plan (print, apply, continue past failures,
-- report codes) and datagrok.log's structured fields.
local datagrok = require "datagrok"

local function cli(extra)
  local spec = {
    name = "tool", summary = "Does things.",
    options = {
      {"connector", type = "string", metavar = "C", required = true, help = "the connector"},
      {"max-delete", type = "count_or_percent", default = "50%", help = "delete cap"},
      {"ext", type = "list", help = "extensions"},
      {"dry-run", type = "boolean", help = "change nothing"},
      {"access", type = "string", choices = {"View", "Edit"}, default = "View", help = "access"},
      {"retries", type = "integer", env = "TOOL_TEST_RETRIES", default = 3, help = "retries"},
      {"ratio", type = "number", short = "r", help = "a ratio"},
    },
    positional = {{"files", multiple = true, help = "input files"}},
  }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return datagrok.cli(spec)
end

describe("datagrok.cli", function()
  it("parses typed values, defaults and positionals", function()
    local o = assert(cli():try_parse{"--connector", "System:DemoFiles", "--ext", "csv,tsv", "--ext=txt",
      "--max-delete", "10", "--dry-run", "-r", "0.5", "a.csv", "--", "--b.csv"})
    assert.are.same({connector = "System:DemoFiles", ext = {"csv", "tsv", "txt"}, max_delete = 10,
      dry_run = true, ratio = 0.5, access = "View", retries = 3, files = {"a.csv", "--b.csv"}}, o)
    assert.are.equal("integer", math.type(o.retries))
    o = assert(cli():try_parse{"--connector=x", "--max-delete", "25%", "--no-dry-run", "--access", "Edit"})
    assert.are.equal("25%", o.max_delete)
    assert.is_false(o.dry_run)
    assert.are.equal("Edit", o.access)
    assert.are.same({}, o.files)
  end)

  it("reports usage errors as USAGE naming the option", function()
    local cases = {
      {{}, "tool: %-%-connector is required"},
      {{"--connector", "x", "--max-delete", "150%"}, "%-%-max%-delete: expected a count or a percent"},
      {{"--connector", "x", "--max-delete", "-1"}, "expected a count or a percent"},
      {{"--connector", "x", "--retries", "2.5"}, "%-%-retries: expected an integer, got '2.5'"},
      {{"--connector", "x", "--access", "Own"}, "expected one of View, Edit, got 'Own'"},
      {{"--connector", "x", "--bogus"}, "unknown option '%-%-bogus'"},
      {{"--connector"}, "%-%-connector needs a value"},
      {{"--connector", "x", "--connector", "y"}, "given twice"},
      {{"--connector", "x", "-r", "abc"}, "%-%-ratio: expected a number"},
    }
    for _, c in ipairs(cases) do
      local o, err = cli():try_parse(c[1])
      assert.is_nil(o)
      assert.are.equal("USAGE", err.code)
      assert.matches(c[2], err.message)
      assert.are.equal("see tool --help", err.hint)
      assert.are.equal(2, datagrok.Error.exit_code(err))
    end
    local o, err = cli{positional = {{"spec", required = true}}}:try_parse{"--connector", "x", "a", "b"}
    assert.is_nil(o)
    assert.matches("unexpected argument 'b'", err.message)
  end)

  it("falls back on the environment, and names it when its value is bad", function()
    local c = cli{options = {{"retries", type = "integer", env = "HOME", default = 3}}}
    local o, err = c:try_parse{}
    assert.is_nil(o)
    assert.matches("HOME %(environment%): expected an integer", err.message)
    local path = datagrok.cli{name = "t", options = {{"home", env = "HOME"}}}
    assert.are.equal(os.getenv("HOME"), path:try_parse{}.home)
    assert.are.equal("/x", path:try_parse{"--home", "/x"}.home)  -- the command line wins
  end)

  it("generates --help from the declaration", function()
    local o, what = cli():try_parse{"--help"}
    assert.is_nil(o)
    assert.are.equal("help", what)
    local h = cli{epilog = "Exit codes: 0 ok."}:help()
    assert.matches("^usage: tool %-%-connector C %[options%] %[FILES%.%.%.%]\n\nDoes things%.\n", h)
    assert.matches("%-%-max%-delete N|N%%%s+delete cap %[default: 50%%%]", h)
    assert.matches("%-%-retries RETRIES%s+retries %[default: 3; env: TOOL_TEST_RETRIES%]", h)
    assert.matches("%-%-dry%-run%s+change nothing %[%-%-no%-dry%-run to unset%]", h)
    assert.matches("%-r, %-%-ratio RATIO", h)
    assert.matches("%-h, %-%-help", h)
    assert.matches("\nExit codes: 0 ok%.\n$", h)
    assert.matches("%-%-profile NAME", cli{common = true}:help())
  end)

  it("rejects a broken declaration as the script's bug", function()
    assert.has_error(function() datagrok.cli{name = "t", options = {{"x", type = "float"}}} end,
      "datagrok.cli: --x: unknown type 'float'")
    assert.has_error(function() datagrok.cli{options = {}} end, "datagrok.cli: 'name' is required")
  end)
end)

describe("datagrok.plan", function()
  local function sink()
    local buf = {}
    return {write = function(self, ...) for _, s in ipairs({...}) do buf[#buf + 1] = s end return self end,
            flush = function() end, text = function() return table.concat(buf) end}
  end

  it("prints, applies, goes on past a failure and reports PARTIAL", function()
    local out, ran = sink(), {}
    local plan = datagrok.plan{title = "prov", out = out}
    plan:add("+ a", function() ran[#ran + 1] = "a" end)
    plan:add("+ b", function() error(datagrok.Error.new("API_ERROR", "no such group")) end)
    plan:add("+ c", function() ran[#ran + 1] = "c"; return "done" end)
    assert.are.equal(3, #plan)
    local rep = plan:run()
    assert.are.same({"a", "c"}, ran)
    assert.are.equal(2, rep.applied)
    assert.are.equal(6, rep.code)
    assert.are.equal("+ b", rep.failed[1].label)
    assert.are.equal("prov: 3 changes\n  + a\n  + b\n  + c\nFAILED + b: API_ERROR: no such group\n"
      .. "+ c: done\nprov: 2 of 3 applied, 1 failed\n", out.text())
  end)

  it("applies nothing in a dry run except items that ask to run", function()
    local out, seen = sink(), nil
    local plan = datagrok.plan{title = "p", dry_run = true, out = out}
    plan:add("+ a", function() error("must not run") end)
    plan:add("~ sync", function(dry) seen = dry end, {dry_run_too = true})
    local rep = plan:run()
    assert.is_true(seen)
    assert.are.same({0, 1, 1}, {rep.code, rep.applied, rep.not_run})
    assert.matches("p: 2 changes %(dry run: none is applied%)", out.text())
    assert.matches("p: dry run, 1 of 2 ran, 0 failed, 1 not run\n$", out.text())
  end)

  it("takes the worst code, and stops at a refused key", function()
    local out = sink()
    local plan = datagrok.plan{title = "p", out = out, codes = "worst"}
    plan:add("1", function() error(datagrok.Error.new("UNSAFE_SYNC", "stop")) end)
    plan:add("2", function() error(datagrok.Error.new("LOCKED", "busy")) end)
    assert.are.equal(7, plan:run().code)
    local ran = false
    plan = datagrok.plan{title = "p", out = out}
    plan:add("1", function() error(datagrok.Error.new("HTTP_401", "no", {status = 401})) end)
    plan:add("2", function() ran = true end)
    local rep = plan:run()
    assert.is_false(ran)
    assert.are.same({3, 1}, {rep.code, rep.not_run})
  end)

  it("in partial mode: 6 when something applied, the shared code when nothing did", function()
    local out = sink()
    local down = function() error(datagrok.Error.new("HTTP_503", "down", {status = 503})) end
    local plan = datagrok.plan{title = "p", out = out}
    plan:add("1", down)
    plan:add("2", down)
    assert.are.equal(4, plan:run().code)
    plan = datagrok.plan{title = "p", out = out}
    plan:add("1", down)
    plan:add("2", function() end)
    assert.are.equal(6, plan:run().code)
    plan = datagrok.plan{title = "p", out = out}
    plan:add("1", down)
    plan:add("2", function() error(datagrok.Error.new("LOCKED", "x")) end)
    assert.are.equal(6, plan:run().code)
  end)

  it("says when there is nothing to do", function()
    local out = sink()
    local rep = datagrok.plan{title = "p", out = out}:run()
    assert.are.same({0, 0}, {rep.code, rep.total})
    assert.are.equal("p: nothing to do\n", out.text())
  end)
end)

describe("datagrok.log fields", function()
  it("writes name=value pairs in order, quoted when needed, secrets redacted", function()
    local log = datagrok.log
    local path = os.tmpname()
    local old_level = log.level()
    assert(log.set_file(path))
    log.set_level("info")
    log.info("sync", "job done", {written = 3, dir = "/srv/a b", api_key = "SEKRIT", token = "T0K",
      ok = true, note = 'say "hi"\n'})
    log.debug("sync", "not written")
    assert.are.equal(path, log.file())
    log.set_file(nil)
    log.set_level(old_level)
    local f = assert(io.open(path))
    local text = f:read("a")
    f:close()
    os.remove(path)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ info  sync: job done api_key=<redacted> "
      .. 'dir="/srv/a b" note="say \\"hi\\"\\n" ok=true token=<redacted> written=3\n$', text)
    assert.is_nil(log.file())
  end)
end)
