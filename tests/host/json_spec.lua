-- The JSON layer: the three lua-cjson defects fixed, strictness, and error positions.
local datagrok = require "datagrok"
local json = datagrok.json

describe("datagrok.json", function()
  it("decodes integral numbers as Lua integers and the rest as floats", function()
    assert.are.equal("integer", math.type(json.decode("3")))
    assert.are.equal(3, json.decode("3"))
    assert.are.equal("integer", math.type(json.decode("-0")))
    assert.are.equal("float", math.type(json.decode("3.0")))
    assert.are.equal("float", math.type(json.decode("1e2")))
    assert.are.equal(0.1, json.decode("0.1"))
    assert.are.equal(1e-300, json.decode("1e-300"))
    assert.are.equal(math.mininteger, json.decode("-9223372036854775808"))
    assert.are.equal("float", math.type(json.decode("9223372036854775808")))
  end)

  it("round-trips integers above 2^53 exactly", function()
    assert.are.equal("9007199254740993", json.encode(json.decode("9007199254740993")))
    assert.are.equal("[9223372036854775807]", json.encode({math.maxinteger}))
  end)

  it("encodes marked empty arrays as [] and plain empty tables as {}", function()
    assert.are.equal('{"ids":[]}', json.encode({ids = json.array({})}))
    assert.are.equal("{}", json.encode({}))
    assert.are.equal("[]", json.encode(json.array()))
    assert.is_true(json.is_array(json.decode("[]")))
    assert.are.equal("[]", json.encode(json.decode("[]")))
    assert.are.equal('{"a":[]}', json.encode(json.decode('{"a":[]}')))
  end)

  it("encodes floats in shortest round-trip form, keeping them floats", function()
    assert.are.equal("[0.1,1e-300,3.0,-2.5,1e+16]", json.encode({0.1, 1e-300, 3.0, -2.5, 1e16}))
    -- exactly what Python's json.dumps writes (float repr), where %.17g would differ
    assert.are.equal("[5e-324,1000000000000000.0,1e+22,0.3,1.7976931348623157e+308,-0.0]",
      json.encode({5e-324, 1e15, 1e22, 0.3, 1.7976931348623157e308, -0.0}))
    for _, x in ipairs({0.1, 1 / 3, 1e-300, 123456.789, 2^60 + 0.0}) do
      local back = json.decode(json.encode({x}))[1]
      assert.are.equal(x, back)
      assert.are.equal("float", math.type(back))
    end
  end)

  it("handles strings: escapes, unicode and surrogate pairs", function()
    local s = 'quote " backslash \\ nl \n tab \t ctl \1 é 😀'
    assert.are.equal(s, json.decode(json.encode(s)))
    assert.are.equal('"\\u00e9\\ud83d\\ude00"', json.encode("é😀", {ascii = true}))
    assert.are.equal("é😀", json.decode('"\\u00e9\\ud83d\\ude00"'))
    assert.are.equal("a/b", json.decode('"a\\/b"'))
  end)

  it("maps null to datagrok.null both ways", function()
    local v = json.decode('{"a":null,"b":[1,null,3]}')
    assert.are.equal(datagrok.null, v.a)
    assert.are.equal(datagrok.null, v.b[2])
    assert.are.equal("null", tostring(datagrok.null))
    assert.are.equal('[1,null,3]', json.encode(v.b))
  end)

  it("offers Python's separators, sorted keys and pretty output", function()
    assert.are.equal('{"a": 1, "b": [1, 2]}',
      json.encode({b = {1, 2}, a = 1}, {spaced = true, sort_keys = true}))
    assert.are.equal('{\n  "a": 1,\n  "b": [\n    true\n  ]\n}',
      json.encode({a = 1, b = {true}}, {pretty = true, sort_keys = true}))
  end)

  it("raises a JSON error naming line and column for malformed input", function()
    local cases = {
      {'{"a": 1,\n "b" 2}', "line 2 column 6"},
      {"[1, 2", "end of input"},
      {"tru", "line 1 column 1"},
      {'"abc', "unterminated string"},
      {"[1] x", "trailing characters"},
      {"01", "trailing characters"},
      {'"\\x"', "bad escape"},
      {"", "end of input"},
      {string.rep("[", 2000), "nested too deeply"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(json.decode, c[1])
      assert.is_false(ok, c[1])
      assert.is_true(datagrok.Error.is(err))
      assert.are.equal("JSON", err.code)
      assert.matches(c[2], err.message, 1, true)
    end
  end)

  it("refuses values JSON cannot carry, saying where", function()
    local cases = {
      {{f = print}, "function at $.f"},
      {{1, nil, 3}, "sparse"},
      {{1, x = 2}, "mixing"},
      {{0 / 0}, "NaN"},
      {{[true] = 1}, "neither a string"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(json.encode, c[1])
      assert.is_false(ok)
      assert.are.equal("JSON", err.code)
      assert.matches(c[2], err.message, 1, true)
    end
    local t = {}
    t.self = t
    local ok, err = pcall(json.encode, t)
    assert.is_false(ok)
    assert.matches("nested too deeply", err.message, 1, true)
  end)

  it("tolerates a byte order mark and surrounding white space", function()
    assert.are.same({1, 2}, json.decode("\239\187\191 [1, 2] \n"))
  end)
end)
