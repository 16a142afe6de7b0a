-- datagrok.yaml: libyaml documents to Lua values, and its errors.
local yaml = require "datagrok.yaml"
local datagrok = require "datagrok"
local json = datagrok.json

describe("yaml.decode", function()
  it("reads mappings, sequences and scalars as strings", function()
    local v = yaml.decode("a: 1\nb: [x, 'y', \"z\"]\nc:\n  d: true\n  e: ''\n  f:\n  g: ~\n")
    assert.are.same({a = "1", b = {"x", "y", "z"}, c = {d = "true", e = "", f = json.null,
      g = json.null}}, v)
    assert.is_true(json.is_array(v.b))
    assert.are.equal(json.null, yaml.decode(""))
    assert.are.equal("plain", yaml.decode("plain"))
  end)

  it("follows anchors and aliases", function()
    local v = yaml.decode("base: &b {url: u, key: k}\ncopy: *b\n")
    assert.are.same(v.base, v.copy)
  end)

  it("raises YAML with the name, line and column", function()
    local ok, err = pcall(yaml.decode, "a: 1\n  b: [\n", "cfg.yaml")
    assert.is_false(ok)
    assert.are.equal("YAML", err.code)
    assert.matches("^cfg%.yaml: ", err.message)
    assert.are.equal("number", math.type(err.line) and "number")
    ok, err = pcall(yaml.decode, "k: 1\nk: 2\n", "dup.yaml")
    assert.is_false(ok)
    assert.are.equal("dup.yaml: duplicate key 'k' at line 2 column 1", err.message)
    assert.are.same({2, 1}, {err.line, err.column})
    ok, err = pcall(yaml.decode, "? [a]\n: 1\n")
    assert.is_false(ok)
    assert.matches("a key that is not a scalar", err.message)
    ok, err = pcall(yaml.decode, "a: 1\n---\nb: 2\n")
    assert.is_false(ok)
    assert.matches("a second document", err.message)
  end)

  it("stops an alias bomb instead of expanding it", function()
    local lines = {"a0: &a0 [x, x, x, x, x, x, x, x, x, x]"}
    for i = 1, 8 do
      local refs = {}
      for j = 1, 10 do refs[j] = "*a" .. (i - 1) end
      lines[#lines + 1] = ("a%d: &a%d [%s]"):format(i, i, table.concat(refs, ", "))
    end
    local ok, err = pcall(yaml.decode, table.concat(lines, "\n"))
    assert.is_false(ok)
    assert.matches("too many nodes", err.message)
  end)
end)
