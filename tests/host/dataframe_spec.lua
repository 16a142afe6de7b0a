-- datagrok.DataFrame (src/dataframe.c): constructors, shape, access, derived
-- frames, files, the preview, and life cycle (docs/lua-api.md, "DataFrame").
local datagrok = require "datagrok"
local DataFrame = datagrok.DataFrame
local null = datagrok.null
local read = require("emulator").read_file

local function tmpname()
  local p = os.tmpname()
  os.remove(p)
  return p
end

local function sample()
  return DataFrame.from_csv("id,name,score,ok\n1,Alice,0.5,true\n2,,1.25,false\n3,Carol,,\n")
end

describe("DataFrame", function()
  it("is reachable as datagrok.DataFrame and datagrok.read_csv", function()
    assert.equal(require("datagrok.dataframe"), datagrok.DataFrame)
    assert.equal(DataFrame.read_csv, datagrok.read_csv)
    assert.is_true(DataFrame.is(sample()))
    assert.is_false(DataFrame.is({}))
  end)

  it("reports its shape, names and types", function()
    local df = sample()
    assert.equal(3, df:nrows())
    assert.equal(3, #df)
    assert.equal(4, df:ncols())
    assert.same({ "id", "name", "score", "ok" }, df:names())
    assert.same({ "int", "string", "float", "bool" }, df:types())
  end)

  it("gets cells by row and column name or index, nil for missing", function()
    local df = sample()
    assert.equal(1, df:get(1, "id"))
    assert.equal(math.type(df:get(1, "id")), "integer")
    assert.equal("Alice", df:get(1, 2))
    assert.equal(1.25, df:get(2, "score"))
    assert.is_false(df:get(2, "ok"))
    assert.is_nil(df:get(2, "name"))
    assert.is_nil(df:get(3, "ok"))
    assert.has_error(function() df:get(4, "id") end, "bad argument #1 to 'get' (row 4 out of range (1..3))")
    assert.has_error(function() df:get(0, "id") end)
    assert.has_error(function() df:get(1, "nope") end, "bad argument #2 to 'get' (no column named 'nope')")
    assert.has_error(function() df:get(1, 5) end)
    assert.has_error(function() df:get("x", 1) end)
  end)

  it("copies a column as an array with datagrok.null for missing values", function()
    local df = sample()
    assert.same({ "Alice", null, "Carol" }, df:column("name"))
    assert.same({ true, false, null }, df:column(4))
    local c = df:column("id")
    c[1] = 99
    assert.equal(1, df:get(1, "id"))
  end)

  it("gives rows as records and iterates them", function()
    local df = sample()
    assert.same({ id = 2, score = 1.25, ok = false }, df:row(2))
    local seen = {}
    for i, rec in df:rows() do seen[#seen + 1] = { i, rec.id } end
    assert.same({ { 1, 1 }, { 2, 2 }, { 3, 3 } }, seen)
    assert.has_error(function() df:row(9) end)
  end)

  it("derives new frames with head, select and filter", function()
    local df = sample()
    local h = df:head(2)
    assert.equal(2, #h)
    assert.same(df:names(), h:names())
    assert.same({ 1, 2 }, h:column("id"))
    assert.equal(3, #df:head())
    assert.equal(1, #df:head(-2))
    assert.equal(0, #df:head(0))
    local s = df:select { "score", "id" }
    assert.same({ "score", "id" }, s:names())
    assert.same({ "float", "int" }, s:types())
    assert.same({ 0.5, 1.25, null }, s:column(1))
    assert.has_error(function() df:select { "id", "zzz" } end)
    local f = df:filter(function(rec, i) return rec.score ~= nil and i > 1 end)
    assert.equal(1, #f)
    assert.equal(2, f:get(1, "id"))
    assert.is_nil(f:get(1, "name"))
    assert.has_error(function() df:filter(function() error("boom") end) end)
  end)

  it("builds from rows given as arrays (with names) or records", function()
    local df = DataFrame.from_rows({ { 1, "a", true }, { 2, nil, false }, { 3, "c", null } },
      { "n", "s", "b" })
    assert.same({ "int", "string", "bool" }, df:types())
    assert.same({ "a", null, "c" }, df:column("s"))
    assert.same({ true, false, null }, df:column("b"))
    local r = DataFrame.from_rows({ { z = 1, a = "x" }, { z = 2.5 } })
    assert.same({ "a", "z" }, r:names())
    assert.same({ "string", "float" }, r:types())
    assert.same({ "x", null }, r:column("a"))
    -- sorted in C: a script that rebinds the global `table` changes nothing
    local saved = table
    table = { sort = function() error("the global table.sort was called") end } -- luacheck: ignore
    local ok, r2 = pcall(DataFrame.from_rows, { { b = 1, a = 2, ["a b"] = 3, B = 4 } })
    table = saved -- luacheck: ignore
    assert.is_true(ok, tostring(r2))
    assert.same({ "B", "a", "a b", "b" }, r2:names())
    local u = DataFrame.from_rows({ { 1, 2 }, { 3, 4 } })
    assert.same({ "1", "2" }, u:names())
    local empty = DataFrame.from_rows({}, { "a" })
    assert.equal(0, #empty)
    assert.same({ "a" }, empty:names())
  end)

  it("builds from columns, widening mixed values as pandas does", function()
    local df = DataFrame.from_columns({ "i", "f", "s", "m" }, {
      i = { 1, 2, 3 }, f = { 1, 2.5, 0 / 0 }, s = { "x", 1, true }, m = { 1.5, "y", 2 },
    })
    assert.same({ "int", "float", "string", "string" }, df:types())
    assert.same({ 1.0, 2.5, null }, df:column("f"))
    assert.same({ "x", "1", "True" }, df:column("s"))
    assert.same({ "1.5", "y", "2" }, df:column("m"))
    assert.has_error(function()
      DataFrame.from_columns({ "a", "b" }, { a = { 1, 2 }, b = { 1 } })
    end, "bad argument #2 to 'from_columns' (column 'b' has 1 values but 'a' has 2)")
    assert.has_error(function() DataFrame.from_columns({ "a" }, {}) end)
    assert.has_error(function() DataFrame.from_columns({ "a", "a" }, { a = {} }) end)
    assert.has_error(function()
      DataFrame.from_columns({ "a" }, { a = { {} } })
    end, "bad argument #2 to 'from_columns' (column 'a' row 1: a DataFrame cannot hold a table)")
  end)

  it("writes CSV text or a file (atomically) and reads files back", function()
    local df = sample()
    local text = df:to_csv()
    assert.equal("id,name,score,ok\n1,Alice,0.5,True\n2,,1.25,False\n3,Carol,,\n", text)
    local path = tmpname()
    assert.is_true(df:to_csv(path))
    assert.equal(text, read(path))
    local back = datagrok.read_csv(path)
    assert.same(df:types(), back:types())
    assert.same(df:column("score"), back:column("score"))
    -- no temporary file is left next to it
    local dir, base = path:match("^(.*)/([^/]*)$")
    local p = io.popen("ls -a " .. dir)
    for name in p:lines() do assert.is_nil(name:find(base .. ".tmp", 1, true), name) end
    p:close()
    os.remove(path)
  end)

  it("raises IO errors for files it cannot read or write", function()
    local ok, err = pcall(datagrok.read_csv, "/nonexistent/x.csv")
    assert.is_false(ok)
    assert.equal("IO", err.code)
    assert.matches("/nonexistent/x.csv", err.message)
    ok, err = pcall(sample().to_csv, sample(), "/nonexistent/dir/out.csv")
    assert.is_false(ok)
    assert.equal("IO", err.code)
  end)

  it("reads a file larger than its read buffer, with an error naming the file", function()
    local path = tmpname()
    local f = assert(io.open(path, "wb"))
    f:write("k,v\n")
    for i = 1, 30000 do f:write(i, ',"value ', i, '"\n') end
    f:write('30001,"unterminated\n')
    f:close()
    local ok, err = pcall(datagrok.read_csv, path)
    assert.is_false(ok)
    assert.equal("CSV", err.code)
    assert.equal(30002, err.line)
    assert.matches(path, err.message, 1, true)
    os.remove(path)
  end)

  it("prints an aligned preview with shape, names and types", function()
    local df = DataFrame.from_columns({ "id", "name", "x" }, {
      id = { 1, 22, 333 }, name = { "a\nb", null, ("long"):rep(10) }, x = { 0.5, -1.25, 10 },
    })
    assert.equal(table.concat({
      "DataFrame: 3 rows x 3 columns",
      "    id  name                          x",
      "   int  string                    float",
      "1    1  a\\nb                        0.5",
      "2   22  null                      -1.25",
      "3  333  longlonglonglonglonglon\226\128\166   10.0",
    }, "\n"), tostring(df))
    local big = DataFrame.from_columns({ "n" }, { n = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 } })
    assert.matches("%.%.%. %(2 more rows%)$", tostring(big))
  end)

  it("closes once, by close(), <close> or the collector, and refuses use after", function()
    local df = sample()
    local methods = getmetatable(df).__index
    for _, m in ipairs { "nrows", "ncols", "names", "types", "get", "column", "row", "rows",
      "head", "select", "filter", "to_csv", "close" } do
      assert.is_function(methods[m], m)
    end
    df:close()
    df:close()
    assert.equal("DataFrame (closed)", tostring(df))
    assert.has_error(function() df:nrows() end, "calling 'nrows' on bad self (DataFrame is closed)")
    assert.has_error(function() return #df end)
    do
      local d <close> = sample()
      assert.equal(3, #d)
    end
    assert.has_error(function() DataFrame.nrows(df) end)
  end)
end)
