-- help(): one-line signatures and summaries of every binding (lua/datagrok/help.lua),
-- the REPL's printing of bindings, and completion of lazy names without private ones.
local datagrok = require "datagrok"
local help = require "datagrok.help"
local repl = require "datagrok.repl"
local emulator = require "emulator"

local e, dg

setup(function()
  e = emulator.start{demo = true}
  dg = datagrok.new("Bearer " .. e.key, e.url)
end)
teardown(function() dg:close(); e:stop() end)

--- The functions and fields an object offers (its own keys, __index tables, __complete).
local function names_of(v)
  local out = {}
  for _, c in ipairs(repl.complete("__help_subject.")) do out[#out + 1] = c:match("%.(.*)$") end
  return out
end

describe("help", function()
  it("prints a method's signature and summary: help(dg.sync_dir)", function()
    local text = help.text(dg.sync_dir)
    -- datagrok.help(v) is a value that prints as that text (the REPL shows it as is)
    assert.equal(text, tostring(datagrok.help(dg.sync_dir)))
    assert.equal(text, repl.format(datagrok.help(dg.sync_dir)))
    assert.matches("^users:get%(id_or_login%) %-> User", help.text(dg.users.get))
    assert.matches("^dg:sync_dir%(connector, remote_path, dir", text)
    assert.matches("\n  [^\n]+$", text)
  end)

  it("lists an object's entries, one signature and summary each: help(dg), help()", function()
    local text = help.text(dg)
    assert.matches("^datagrok.Client: ", text)
    for _, m in ipairs({"sync_dir", "download_table", "list_groups", "call_function", "close"}) do
      assert.matches("\n  dg[:.]" .. m .. "[%(%s]", text)
    end
    local top = help.text()
    for _, m in ipairs({"connect", "new", "read_csv", "safe", "help"}) do
      assert.matches("\n  datagrok%." .. m .. "%(", top)
    end
  end)

  it("has an entry for every binding a script can reach", function()
    local df = datagrok.DataFrame.from_rows({{1}}, {"a"})
    local g = dg:get_group(dg:lookup_groups("Chemists")[1].id)
    local req = g:request_membership()
    local subjects = {
      {datagrok, "datagrok"}, {dg, "dg"}, {dg.files, "dg.files"}, {datagrok.json, "json"},
      {datagrok.log, "log"}, {datagrok.Error, "Error"}, {datagrok.DataFrame, "DataFrame"},
      {df, "df"}, {g, "g"}, {g.children[1], "rel"}, {req, "req"},
      {dg.users:current(), "user"}, {datagrok.log, "log"},
    }
    -- every sub-client (dg.files, dg.users, dg.connections ...): a module that adds one
    -- registers its entries
    for name in pairs(require("datagrok.client").subclients) do subjects[#subjects + 1] = {dg[name], "dg." .. name} end
    local missing = {}
    for _, s in ipairs(subjects) do
      _G.__help_subject = s[1]
      for _, name in ipairs(names_of(s[1])) do
        local ok, v = pcall(function() return s[1][name] end)
        if ok and type(v) == "function" and not (help.signature(v) and help.summary(v) ~= "") then
          missing[#missing + 1] = s[2] .. "." .. name
        end
      end
      -- and the object itself is described
      assert.is_nil(help.text(s[1]):find("^no help"), s[2])
    end
    _G.__help_subject = nil
    assert.are.same({}, missing)
  end)

  it("lets a module register entries for a new object", function()
    local Thing = {__name = "datagrok.TestThing"}
    local function poke() end
    Thing.__index = {poke = poke}
    help.register("datagrok.TestThing", {title = "datagrok.TestThing: a test object",
      values = function() return Thing.__index end,
      entries = {{"poke", "thing:poke() -> nil", "pokes the thing"}}})
    local thing = setmetatable({}, Thing)
    assert.equal("thing:poke() -> nil\n  pokes the thing", help.text(thing.poke))
    assert.matches("^datagrok.TestThing: a test object\n  thing:poke", help.text(thing))
  end)

  it("says when there is no help", function()
    assert.matches("^no help for this function", help.text(print))
    assert.matches("^no help for a number value", help.text(42))
  end)
end)

describe("the REPL", function()
  it("prints a binding with its signature instead of an address", function()
    assert.equal("function dg:sync_dir(connector, remote_path, dir [, ext [, recursive [, sync_meta_file]]] | opts) -> report",
      repl.format(dg.sync_dir))
    assert.matches("^function: ", repl.format(print))
  end)

  it("completes the lazily loaded names of datagrok", function()
    _G.datagrok_under_test = require "datagrok"
    local c = repl.complete("datagrok_under_test.")
    _G.datagrok_under_test = nil
    local set = {}
    for _, k in ipairs(c) do set[k:match("%.(.*)$")] = true end
    for _, k in ipairs({"connect", "new", "DataFrame", "read_csv", "help", "json", "Error", "safe"}) do
      assert.is_true(set[k], k)
    end
  end)

  it("offers no private fields or metamethods unless the name starts with '_'", function()
    _G.dg_under_test = dg
    local all = repl.complete("dg_under_test:")
    local fields = repl.complete("dg_under_test.")
    local private = repl.complete("dg_under_test._")
    _G.dg_under_test = nil
    for _, c in ipairs(all) do assert.is_nil(c:find("[:.]_"), c) end
    for _, c in ipairs(fields) do assert.is_nil(c:find("[:.]_"), c) end
    assert.is_true(#all > 10)
    assert.truthy(private[1])
    for _, c in ipairs(repl.complete("str")) do assert.is_nil(c:find("^_"), c) end
    assert.truthy(repl.complete("_")[1])
    local mt_names = repl.complete("string.")
    for _, c in ipairs(mt_names) do assert.is_nil(c:find("%._"), c) end
  end)
end)
