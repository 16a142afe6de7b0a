-- The REPL's Lua half inside the binary: pretty printing, completion, history filter.
local repl = require "datagrok.repl"

describe("repl.format", function()
  it("prints scalars the way Lua code reads them", function()
    assert.are.equal("2", repl.format(2))
    assert.are.equal("2.0", repl.format(2.0))
    assert.are.equal("0.1", repl.format(0.1))
    -- the one shortest round-trip formatter of CSV and JSON: Python's repr
    assert.are.equal("1e+16", repl.format(1e16))
    assert.are.equal("1000000000000000.0", repl.format(1e15))
    assert.are.equal("5e-324", repl.format(5e-324))
    assert.are.equal("-0.0", repl.format(-0.0))
    assert.are.equal("9007199254740993", repl.format(9007199254740993))
    assert.are.equal(require("datagrok.json").encode(0.3), repl.format(0.3))
    assert.are.equal('"a\\nb"', repl.format("a\nb"))
    assert.are.equal("nil", repl.format(nil))
    assert.are.equal("true", repl.format(true))
  end)

  it("keeps short flat tables on one line and indents nested ones", function()
    assert.are.equal("{ 1, 2, 3 }", repl.format({1, 2, 3}))
    assert.are.equal("{}", repl.format({}))
    assert.are.equal('{\n  a = { 1, 2 },\n}', repl.format({a = {1, 2}}))
    assert.are.equal('{\n  a = {\n    b = { 1 },\n  },\n  ["x y"] = 1,\n}',
      repl.format({a = {b = {1}}, ["x y"] = 1}))
  end)

  it("marks cycles instead of recursing", function()
    local t = {1}
    t.self = t
    assert.matches("self = <cycle: table 0x%x+>", repl.format(t))
  end)

  it("cuts long arrays with a count", function()
    local t = {}
    for i = 1, 100 do t[i] = i end
    local s = repl.format(t)
    assert.matches("%.%.%. %(80 more%)", s)
    assert.is_nil(s:find("21,", 1, true))
  end)

  it("uses __tostring for objects", function()
    local obj = setmetatable({}, {__tostring = function() return "Group<X>" end})
    assert.are.equal("{ g = Group<X> }", repl.format({g = obj}))
  end)

  it("separates several results with tabs", function()
    assert.are.equal('1\t"x"\tnil', repl.show(1, "x", nil))
  end)
end)

describe("repl.complete", function()
  it("completes globals and keywords", function()
    local c = repl.complete("strin")
    assert.are.same({"string"}, c)
    assert.truthy(#repl.complete("fu") >= 1)
    assert.are.equal("function", repl.complete("functio")[1])
  end)

  it("completes fields after '.'", function()
    assert.are.same({"string.format"}, repl.complete("string.fo"))
    local c = repl.complete("math.")
    assert.truthy(#c > 10)
    assert.are.equal("math.", c[1]:sub(1, 5))
  end)

  it("completes methods after ':' through __index", function()
    local class = {}
    class.__index = class
    function class.greet() end
    function class.grow() end
    _G.__repl_test_obj = setmetatable({value = 1}, class)
    assert.are.same({"__repl_test_obj:greet", "__repl_test_obj:grow"}, repl.complete("__repl_test_obj:gr"))
    assert.are.same({"__repl_test_obj.value"}, repl.complete("__repl_test_obj.va"))
    _G.__repl_test_obj = nil
  end)

  it("returns nothing for unknown prefixes without running code", function()
    assert.are.same({}, repl.complete("nosuchthing.x"))
    assert.are.same({}, repl.complete("string.format.x"))
  end)
end)

describe("repl.is_sensitive", function()
  it("keeps lines that may hold a key out of the history", function()
    assert.is_true(repl.is_sensitive('dg = datagrok.new("Bearer abc", "http://x")'))
    assert.is_true(repl.is_sensitive('datagrok.connect{api_key = "k"}'))
    assert.is_true(repl.is_sensitive("x = 'my password'"))
    assert.is_false(repl.is_sensitive("1 + 1"))
    assert.is_false(repl.is_sensitive("dg:list_groups()"))
  end)
end)
