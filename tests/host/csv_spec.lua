-- The incremental CSV parser and the CSV writer (src/csv.c), through
-- datagrok.DataFrame.from_csv(text, chunk_size) and df:to_csv().
local datagrok = require "datagrok"
local DataFrame = datagrok.DataFrame
local null = datagrok.null

-- The ways every fixture is parsed: chunk sizes, serially and on two threads with
-- parts of a few bytes (so that each row is a part of its own, the serial prefix is
-- the header alone, and row ends fall on chunk ends), as a download would split it.
local SERIAL = { threads = 1 }
local ALL = math.huge -- the whole text in one feed
local WAYS = { { ALL, SERIAL }, { 1, SERIAL }, { 2, SERIAL }, { 3, SERIAL }, { 7, SERIAL },
               { 64, SERIAL } }
for _, block in ipairs { 1, 2, 5, 16 } do
  for _, chunk in ipairs { 1, 3, 64, ALL } do
    WAYS[#WAYS + 1] = { chunk, { threads = 2, block_size = block } }
  end
end

local function how(way)
  return ("chunk %s, threads %d, block %s"):format(way[1], way[2].threads, way[2].block_size)
end

local function from_csv(text, way)
  local opts = { threads = way[2].threads, block_size = way[2].block_size }
  return DataFrame.from_csv(text, way[1] == ALL and #text + 1 or way[1], opts), opts.parts
end

-- Parses text every way and checks they all agree (the same columns and the same
-- to_csv bytes); returns the frame.
local function parse(text)
  local first, first_csv
  for _, way in ipairs(WAYS) do
    local df, parts = from_csv(text, way)
    if way[2].block_size == 1 and #df > 1 and select(2, text:gsub("\n", "")) >= 2 then
      -- rows that end in LF after the first go to parts: the parallel path really ran
      assert.is_true(parts > 0, "no part parsed in parallel, " .. how(way))
    end
    if not first then
      first, first_csv = df, df:to_csv()
    else
      assert.same(first:names(), df:names(), "names, " .. how(way))
      assert.same(first:types(), df:types(), "types, " .. how(way))
      for j = 1, first:ncols() do
        assert.same(first:column(j), df:column(j), "column " .. j .. ", " .. how(way))
      end
      assert.equal(first_csv, df:to_csv(), "to_csv, " .. how(way))
    end
  end
  return first
end

local function columns(df)
  local out = {}
  for j, name in ipairs(df:names()) do out[name] = df:column(j) end
  return out
end

-- The CSV error raised for text (every way the same message, line and column).
local function csv_error(text)
  local seen
  for _, way in ipairs(WAYS) do
    local ok, err = pcall(from_csv, text, way)
    assert.is_false(ok, "parsed: " .. text)
    assert.is_true(datagrok.Error.is(err), tostring(err))
    assert.equal("CSV", err.code)
    if seen then
      assert.equal(seen.message, err.message, how(way))
      assert.equal(seen.line, err.line, how(way))
      assert.equal(seen.column, err.column, how(way))
    end
    seen = err
  end
  return seen
end

describe("CSV parser", function()
  it("reads RFC 4180 quoting: commas, doubled quotes, CR/LF inside quotes", function()
    local df = parse('id,text\n1,"a,b"\n2,"say ""hi"""\n3,"two\nlines"\n4,"cr\r\nlf"\n5,""\n')
    assert.same({ "id", "text" }, df:names())
    assert.same({ "int", "string" }, df:types())
    assert.same({ "a,b", 'say "hi"', "two\nlines", "cr\r\nlf", null }, df:column("text"))
  end)

  it("accepts LF, CRLF and lone CR row ends, a missing final newline and a BOM", function()
    for _, text in ipairs {
      "a,b\n1,x\n2,y\n", "a,b\r\n1,x\r\n2,y\r\n", "a,b\r1,x\r2,y", "\239\187\191a,b\n1,x\n2,y",
    } do
      local df = parse(text)
      assert.same({ "a", "b" }, df:names(), text)
      assert.same({ 1, 2 }, df:column("a"), text)
      assert.same({ "x", "y" }, df:column("b"), text)
    end
    -- a partial BOM is data
    assert.same({ "\239\187x" }, parse("\239\187x\n1\n"):names())
  end)

  it("skips blank and whitespace-only lines, pads short rows with missing values", function()
    local df = parse("\n\na,b,c\n1,2,3\n\n  \n\t\n4\n5,6\n,\n")
    assert.equal(4, #df)
    assert.same({ 1, 4, 5, null }, df:column("a"))
    assert.same({ 2, null, 6, null }, df:column("b"))
    assert.same({ 3, null, null, null }, df:column("c"))
    assert.same({ "int", "int", "int" }, df:types())
  end)

  it("treats pandas' default NA strings as missing, quoted or not", function()
    local na = { "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
      "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null" }
    local lines = { "x,y" }
    for i, v in ipairs(na) do
      lines[#lines + 1] = v .. "," .. i
      lines[#lines + 1] = '"' .. v .. '",' .. i
    end
    local df = parse(table.concat(lines, "\n") .. "\n")
    assert.equal(2 * #na, #df)
    for i = 1, #df do assert.is_nil(df:get(i, "x"), "row " .. i) end
    -- other spellings are text
    local df2 = parse("x\nNone\nNAN\n none\n")
    assert.same({ "None", "NAN", " none" }, df2:column("x"))
  end)

  it("infers int, float, bool and string per column as pandas does", function()
    local df = parse(table.concat({
      "i,f,b,s,mix,w,big,huge,sp",
      "1,1.5,true,x,1,2,9223372036854775807,1e999, 7",
      "-2,1e-300,False,y,2.5,x,-9223372036854775808,1,+8 ",
      "007,-.5,TRUE,1,3,3,0,2,\t9",
      "+4,inf,fAlSe,true,-4,4,1,3,10",
    }, "\n"))
    assert.same({ "int", "float", "bool", "string", "float", "string", "int", "string", "int" },
      df:types())
    local c = columns(df)
    assert.same({ 1, -2, 7, 4 }, c.i)
    assert.same({ 1.5, 1e-300, -0.5, math.huge }, c.f)
    assert.same({ true, false, true, false }, c.b)
    assert.same({ "x", "y", "1", "true" }, c.s)
    assert.same({ 1.0, 2.5, 3.0, -4.0 }, c.mix)
    assert.equal(math.type(c.mix[1]), "float")
    assert.same({ math.maxinteger, math.mininteger, 0, 1 }, c.big)
    assert.same({ "1e999", "1", "2", "3" }, c.huge)
    assert.same({ 7, 8, 9, 10 }, c.sp)
  end)

  it("keeps the exact text of earlier cells when a column turns into strings", function()
    local df = parse("a,b,c,d\n007,1.50,true,1\n+3,2e3,False, 2\n9007199254740993,inf,TRUE,x\n"
      .. "x,y,z,4\n")
    assert.same({ "string", "string", "string", "string" }, df:types())
    assert.same({ "007", "+3", "9007199254740993", "x" }, df:column("a"))
    assert.same({ "1.50", "2e3", "inf", "y" }, df:column("b"))
    assert.same({ "true", "False", "TRUE", "z" }, df:column("c"))
    assert.same({ "1", " 2", "x", "4" }, df:column("d"))
    -- ints, then floats, then text: both kinds keep their text
    local df2 = parse("a\n1\n12345678901234567\n2.5\n-0\n1.0\nend\n")
    assert.same({ "1", "12345678901234567", "2.5", "-0", "1.0", "end" }, df2:column("a"))
  end)

  it("makes an integer beyond int64 a float, and an all-missing column float", function()
    local df = parse("a,b,c\n1,,\n18446744073709551616,,\n")
    assert.same({ "float", "float", "float" }, df:types())
    assert.same({ 1.0, 18446744073709551616.0 }, df:column("a"))
    assert.same({ null, null }, df:column("b"))
    -- a header-only file has string columns and no rows
    local h = parse("x,y\n")
    assert.equal(0, #h)
    assert.same({ "string", "string" }, h:types())
  end)

  it("names columns as pandas does: Unnamed: i and .1/.2 for duplicates", function()
    assert.same({ "a", "a.2", "a.1", "a.3" }, parse("a,a,a.1,a\n1,2,3,4\n"):names())
    assert.same({ "Unnamed: 0", "b", "Unnamed: 2" }, parse(",b,\n1,2,3\n"):names())
  end)

  -- the header rule as a direct (quadratic) transcription: for each column whose name is
  -- also an earlier column's (as renamed), k starts at the count of earlier columns with
  -- exactly that name and rises until "<name>.<k>" is no column's current name
  local function reference_names(names)
    names = { table.unpack(names) }
    local function has(list, upto, name)
      for j = 1, upto do if list[j] == name then return true end end
      return false
    end
    for i = 2, #names do
      local base = names[i]
      if has(names, i - 1, base) then
        local k = 0
        for j = 1, i - 1 do if names[j] == base then k = k + 1 end end
        while has(names, #names, base .. "." .. k) do k = k + 1 end
        names[i] = base .. "." .. k
      end
    end
    return names
  end

  it("names duplicates exactly as the header rule says, for any mix of names", function()
    local alphabet = { "a", "a", "a.1", "a.2", "a.1.1", "a.0", "a.01", "b", "b.1", "a.3" }
    math.randomseed(20261129)
    for _ = 1, 300 do
      local names = {}
      for j = 1, math.random(1, 14) do names[j] = alphabet[math.random(#alphabet)] end
      local df = DataFrame.from_csv(table.concat(names, ",") .. "\n")
      assert.same(reference_names(names), df:names(), table.concat(names, ","))
    end
  end)

  it("reads a header of many equal or distinct names in linear time", function()
    local same = ("x,"):rep(20000) .. "x\n"
    local t0 = os.clock()
    local names = DataFrame.from_csv(same):names()
    assert.equal(20001, #names)
    assert.equal("x.20000", names[20001])
    local distinct = {}
    for i = 1, 100000 do distinct[i] = "c" .. i end
    assert.equal(100000, DataFrame.from_csv(table.concat(distinct, ",") .. "\n"):ncols())
    -- the quadratic versions took 27 s for 4,000 equal names and 12 s for these
    assert.is_true(os.clock() - t0 < 3, ("took %.1f s"):format(os.clock() - t0))
  end)

  it("gives an empty DataFrame for empty input", function()
    for _, text in ipairs { "", "\n\n", "  \n" } do
      local df = parse(text)
      assert.equal(0, df:ncols())
      assert.equal(0, #df)
    end
  end)

  it("names the line and column of malformed input", function()
    local e = csv_error("a,b\n1,2\n3,4,5\n")
    assert.equal(3, e.line)
    assert.equal(5, e.column)
    assert.matches("more fields than the header", e.message)
    assert.matches("line 3, column 5", tostring(e))

    e = csv_error('a,b\n1,"multi\nline"\n2,"never closed\n3,4\n')
    assert.equal(4, e.line)
    assert.equal(3, e.column)
    assert.matches("unterminated quoted field", e.message)

    e = csv_error('a,b\n1,x"y\n')
    assert.same({ 2, 4 }, { e.line, e.column })
    assert.matches("quote inside an unquoted field", e.message)

    e = csv_error('a,b\r\n1,"x"y\r\n')
    assert.same({ 2, 6 }, { e.line, e.column })
    assert.matches("after a closing quote", e.message)

    -- the line where the extra field starts, after a quoted line break
    e = csv_error('a,b\n"q\n",2,3\n')
    assert.same({ 3, 5 }, { e.line, e.column })
    -- columns count from after a BOM
    e = csv_error('\239\187\191a,"b\n')
    assert.same({ 1, 3 }, { e.line, e.column })
  end)

  it("reads a large input in small chunks with the same result", function()
    local rows = { "n,s,f" }
    for i = 1, 5000 do
      rows[#rows + 1] = ('%d,"v%d, ""q""\n",%s'):format(i, i, i / 8)
    end
    local text = table.concat(rows, "\r\n")
    local df = DataFrame.from_csv(text, 4093)
    assert.equal(5000, #df)
    assert.equal('v4999, "q"\n', df:get(4999, "s"))
    assert.equal(4999 / 8, df:get(4999, "f"))
    assert.same(DataFrame.from_csv(text):column("s"), df:column("s"))
  end)
end)

describe("CSV writer", function()
  it("quotes only fields with a comma, quote, CR or LF (QUOTE_MINIMAL)", function()
    local df = DataFrame.from_columns({ "s", "n" }, {
      s = { "plain", "a,b", 'q"q', "l\nm", "c\rd", " sp ", "", null, "é" },
      n = { 1, 2, 3, 4, 5, 6, 7, 8, 9 },
    })
    assert.equal('s,n\nplain,1\n"a,b",2\n"q""q",3\n"l\nm",4\n"c\rd",5\n sp ,6\n,7\n,8\né,9\n',
      df:to_csv())
  end)

  it("writes floats as Python's repr, bools as True/False, missing as empty", function()
    local df = DataFrame.from_columns({ "f", "b", "i" }, {
      f = { 0.1, 1e-300, 3.0, 1e16, 1e15, -0.0, 1 / 0, -1 / 0, 5e-324, 0.1 + 0.2, 1e-5, 0 / 0 },
      b = { true, false, null, true, false, true, false, true, false, true, false, true },
      i = { 1, -2, null, math.maxinteger, math.mininteger, 0, 7, 8, 9, 10, 11, 12 },
    })
    assert.same({ "float", "bool", "int" }, df:types())
    assert.equal(table.concat({
      "f,b,i", "0.1,True,1", "1e-300,False,-2", "3.0,,", "1e+16,True,9223372036854775807",
      "1000000000000000.0,False,-9223372036854775808", "-0.0,True,0", "inf,False,7",
      "-inf,True,8", "5e-324,False,9", "0.30000000000000004,True,10", "1e-05,False,11",
      ",True,12", "" }, "\n"), df:to_csv())
  end)

  it("writes a lone empty field as \"\" and a frame without columns as empty lines", function()
    assert.equal('a\nx\n""\n""\n', DataFrame.from_columns({ "a" }, { a = { "x", "", null } }):to_csv())
    assert.equal('""\n1\n', DataFrame.from_columns({ "" }, { [""] = { 1 } }):to_csv())
    assert.equal("\n", DataFrame.from_csv(""):to_csv())
    assert.equal('"a,b","c""",d\n', DataFrame.from_csv('"a,b","c""",d\n'):to_csv())
  end)

  it("round-trips values and types through to_csv and from_csv", function()
    local df = DataFrame.from_columns({ "id", "name", "score", "ok", "note" }, {
      id = { -9223372036854775807, 0, 42, 9007199254740993, null },
      name = { 'He said "hi", then left', "multi\nline\r\nand cr\r", "ünïcödé ✓ 日本", "", null },
      score = { 0.1, 1e-300, -2.5e+300, 123456.789, null },
      ok = { true, false, null, true, false },
      note = { " lead", "trail ", ",", '"', "#" },
    })
    local back = parse(df:to_csv())
    assert.same(df:names(), back:names())
    assert.same(df:types(), back:types())
    for j = 1, df:ncols() do
      local want = df:column(j)
      if j == 2 then want[4] = null end -- "" is written empty and reads back missing, as in pandas
      assert.same(want, back:column(j), df:names()[j])
    end
    assert.equal(back:to_csv(), df:to_csv())
  end)
end)
