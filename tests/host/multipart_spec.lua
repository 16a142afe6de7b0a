-- The incremental multipart parser (src/multipart.c), through datagrok.multipart.parse,
-- which feeds the body in chunks of a chosen size.
local mp = require "datagrok.multipart"
local Error = require "datagrok.error"

local CT = 'multipart/form-data; boundary=XyZ'

local function part(name, body, extra)
  return '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="' .. name .. '"\r\n'
    .. (extra or '') .. '\r\n' .. body .. '\r\n'
end

local function every_chunking(ct, body, check)
  for _, chunk in ipairs { 1, 2, 3, 5, 7, 64, #body + 1 } do
    check(mp.parse(ct, body, chunk), chunk)
  end
end

describe("multipart parser", function()
  it("splits parts with any chunking, keeping bodies byte-exact", function()
    local b1 = ("a\r\nb\n--Xy\r\n-XyZ\r\r\n"):rep(3) .. "\r"
    local b2 = string.char(0, 255, 13, 10, 13) .. "--XyZ-"
    local body = "preamble text\r\n" .. part("a.csv", b1) .. part("sub/b.bin", b2)
      .. part("empty", "") .. "--XyZ--\r\nepilogue --XyZ\r\n"
    every_chunking(CT, body, function(parts, chunk)
      assert.equal(3, #parts, "chunk " .. chunk)
      assert.equal("a.csv", parts[1].filename)
      assert.equal(b1, parts[1].body, "chunk " .. chunk)
      assert.equal("sub/b.bin", parts[2].filename)
      assert.equal(b2, parts[2].body, "chunk " .. chunk)
      assert.equal("", parts[3].body)
      assert.same({ 0, 1, 2 }, { parts[1].index, parts[2].index, parts[3].index })
    end)
  end)

  it("tolerates bare LF line ends and a body that opens with the delimiter", function()
    local body = "--XyZ\nX-File-Status: deleted\nContent-Disposition: attachment; filename=old.txt\n\n\n"
      .. "--XyZ\ncontent-disposition: x; filename=\"n.txt\"\nx-file-e-tag: 12-34\n\nhello\n--XyZ--"
    every_chunking(CT, body, function(parts)
      assert.equal(2, #parts)
      assert.equal("old.txt", parts[1].filename)
      assert.equal("deleted", parts[1].status)
      assert.equal("", parts[1].body)
      assert.equal("n.txt", parts[2].filename)
      assert.equal("12-34", parts[2].etag)
      assert.equal("hello", parts[2].body)
    end)
  end)

  it("takes filename as the Python client does", function()
    local body = '--XyZ\r\nContent-Disposition: form-data; filename="a b.csv"; name="x"\r\n\r\n1\r\n'
      .. '--XyZ\r\nContent-Type: text/plain\r\n\r\n2\r\n'
      .. '--XyZ\r\nContent-Disposition: form-data; filename=""q.txt""\r\n\r\n3\r\n--XyZ--\r\n'
    local parts = mp.parse(CT, body)
    -- everything after the first filename=, quotes stripped at both ends only
    assert.equal('a b.csv"; name="x', parts[1].filename)
    assert.equal("part_1", parts[2].filename)
    assert.equal("q.txt", parts[3].filename)
  end)

  it("reads the boundary quoted or not, with any parameter case", function()
    assert.equal("a b", mp.boundary('multipart/mixed; charset=x; Boundary="a b"'))
    assert.equal("simple", mp.boundary('Multipart/Form-Data;boundary=simple; x=y'))
    local ok, why = mp.boundary("application/json")
    assert.is_nil(ok)
    assert.matches("expected a multipart response", why)
    ok, why = mp.boundary("multipart/mixed; charset=utf-8")
    assert.is_nil(ok)
    assert.matches("no boundary parameter", why)
  end)

  it("accepts an empty body and a closing delimiter alone as zero parts", function()
    assert.same({}, mp.parse(CT, ""))
    assert.same({}, mp.parse(CT, "--XyZ--\r\n"))
  end)

  local function fails(body, pattern)
    local ok, err = pcall(mp.parse, CT, body, 3)
    assert.is_false(ok)
    assert.is_true(Error.is(err))
    assert.equal("PROTOCOL", err.code)
    assert.matches(pattern, err.message)
  end

  it("reports a truncated body, naming the state and the byte offset", function()
    fails(part("a.csv", "data") .. "--XyZ", "truncated after a delimiter.*%(part 2, byte 83%)")
    fails('--XyZ\r\nContent-Disposition: form-data; filename="a"\r\n\r\nhalf', "truncated inside a part.*%(part 1, byte 59%)")
    fails('--XyZ\r\nContent-Disposition: form-d', "truncated inside part headers")
    fails("no delimiter at all", "no boundary delimiter")
  end)

  it("refuses headers that are too long or malformed", function()
    fails("--XyZ\r\nX-Long: " .. ("x"):rep(20000) .. "\r\n\r\nbody\r\n--XyZ--", "longer than 16384 bytes")
    fails("--XyZ\r\nno colon here\r\n\r\nbody\r\n--XyZ--", "header line without ':'")
    fails("--XyZjunk\r\n\r\n--XyZ--", "unexpected text after a boundary")
  end)

  it("survives random garbage without crashing", function()
    math.randomseed(42)
    local alphabet = { "\r", "\n", "-", "--XyZ", "\r\n--XyZ", "a", ":", "filename=", "--" }
    for _ = 1, 300 do
      local t = {}
      for i = 1, math.random(0, 40) do t[i] = alphabet[math.random(#alphabet)] end
      local ok, err = pcall(mp.parse, CT, table.concat(t), math.random(1, 8))
      assert(ok or Error.is(err), tostring(err))
    end
  end)
end)
