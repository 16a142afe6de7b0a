-- The parallel CSV parser (src/codec/csv_parallel.c): a large input is split at row
-- ends into parts parsed on threads and joined in order. Whatever the split, the
-- frame, its to_csv bytes and any error (message, line, column) are the serial
-- parser's. tests/host/csv_spec.lua runs every fixture both ways too; the fuzz target
-- tests/fuzz/csv_fuzz.c compares the two paths on arbitrary input.
local datagrok = require "datagrok"
local DataFrame = datagrok.DataFrame

local function serial(text, chunk)
  return DataFrame.from_csv(text, chunk or #text + 1, { threads = 1 })
end

-- Parses text on 2 threads; returns the frame (or raises) and the number of parts.
local function parallel(text, chunk, block)
  local opts = { threads = 2, block_size = block }
  local df = DataFrame.from_csv(text, chunk, opts)
  return df, opts.parts
end

local function same_frame(a, b, what)
  assert.same(a:names(), b:names(), what)
  assert.same(a:types(), b:types(), what)
  assert.equal(#a, #b, what)
  for j = 1, a:ncols() do assert.same(a:column(j), b:column(j), what .. ", column " .. j) end
  assert.equal(a:to_csv(), b:to_csv(), what)
end

-- A small deterministic generator (the tables must be the same on every run).
local function lcg(seed)
  return function(n)
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n + 1
  end
end

-- Cells by kind; each column switches kind every few rows, so types widen at part
-- boundaries in every order (int -> float, float -> int, missing -> x, x -> string).
local POOLS = {
  int = { "7", "007", "-0", "+3", " 12 ", "9007199254740993", "-42", "0", "12345", "8" },
  float = { "1.5", "1.50", "1e-300", ".5", "inf", "-Infinity", "123456789012345678901", "2.0" },
  bool = { "True", "false", "TRUE", "tRuE", "False" },
  na = { "", "NA", "nan", "NULL", "#N/A" },
  string = { "text", '"q,""x"""', '"multi\nline"', '"cr\r\nlf"', "1e999", "a b" },
}
local KINDS = { "int", "float", "bool", "na", "string" }

local function table_text(rand, ncols, nrows)
  local names, kinds, lines = {}, {}, {}
  for j = 1, ncols do names[j] = "c" .. j end
  lines[1] = table.concat(names, ",")
  for r = 1, nrows do
    local cells = {}
    for j = 1, ncols do
      if not kinds[j] or rand(4) == 1 then kinds[j] = KINDS[rand(#KINDS)] end
      local pool = POOLS[kinds[j]]
      cells[j] = pool[rand(#pool)]
    end
    if rand(10) == 1 then cells[ncols] = nil end -- a short row
    lines[#lines + 1] = table.concat(cells, ",")
  end
  local eol = ({ "\n", "\r\n" })[rand(2)]
  return table.concat(lines, eol) .. (rand(2) == 1 and eol or "")
end

describe("parallel CSV parser", function()
  it("gives the serial frame for generated tables, for every part and chunk size", function()
    local rand = lcg(20261129)
    local parted = 0
    for t = 1, 120 do
      local text = table_text(rand, rand(4), 10 + rand(40))
      local want = serial(text)
      for _, block in ipairs { 1, 3, 7, 13, 50, 300 } do
        for _, chunk in ipairs { 1, 5, 4096 } do
          local got, parts = parallel(text, chunk, block)
          same_frame(want, got, ("table %d, block %d, chunk %d"):format(t, block, chunk))
          parted = parted + (parts > 0 and 1 or 0)
        end
      end
    end
    assert.is_true(parted > 1500, "only " .. parted .. " parses used parts")
  end)

  it("widens types across parts as the serial parser does, wherever the parts start", function()
    local cases = {
      { "a\n1\n2\n1.5\n", { "float" }, "a\n1.0\n2.0\n1.5\n" },
      { "a\n1.5\n2\n3\n", { "float" }, "a\n1.5\n2.0\n3.0\n" },
      { "a\n\n\nNA\n1\n2.5\n", { "float" }, 'a\n""\n1.0\n2.5\n' },
      { "a\n007\n2\ntrue\n", { "string" }, "a\n007\n2\ntrue\n" },
      { "a\n9007199254740993\n1.5\nx\n", { "string" }, "a\n9007199254740993\n1.5\nx\n" },
      { "a\n1\n1.50\n2\nx\n", { "string" }, "a\n1\n1.50\n2\nx\n" },
      -- a part of ints joined to one whose ints turned float: every int keeps its text
      { "a\n1\n2\n3\n4\n7\n8\n1.5\n1.5\nx\n", { "string" }, "a\n1\n2\n3\n4\n7\n8\n1.5\n1.5\nx\n" },
      { "a\n1.5\n7\n8\n2.5\nx\n", { "string" }, "a\n1.5\n7\n8\n2.5\nx\n" },
      { "a\nNA\nNA\n7\n8\n2.5\nx\n", { "string" }, 'a\n""\n""\n7\n8\n2.5\nx\n' },
      { "a\nTRUE\nFalse\n", { "bool" }, "a\nTrue\nFalse\n" },
      { "a\nTRUE\nfalse\n1\n", { "string" }, "a\nTRUE\nfalse\n1\n" },
      { "a,b\nNA,1\nNA,2\n", { "float", "int" }, "a,b\n,1\n,2\n" },
    }
    for _, c in ipairs(cases) do
      local want = serial(c[1])
      assert.same(c[2], want:types(), c[1])
      assert.equal(c[3], want:to_csv(), c[1])
      for block = 1, #c[1] do
        local df, parts = parallel(c[1], 1, block)
        if block == 1 then assert.is_true(parts >= 2, c[1]) end
        same_frame(want, df, c[1] .. " block " .. block)
      end
    end
  end)

  it("reports an error in a later part at the serial parser's line and column", function()
    local head = "id,name\n" .. string.rep('1,"a\nb"\n', 20)  -- lines 2..41
    local cases = {
      { head .. '2,x"y\n', 42, 4, "a quote inside an unquoted field" },
      { head .. "2,x,y\n", 42, 5, "more fields than the header" },
      { head .. '2,"x"y\n', 42, 6, "unexpected text after a closing quote" },
      { head .. '2,"open\nstill open\n', 42, 3, "unterminated quoted field" },
    }
    for _, c in ipairs(cases) do
      local ok1, want = pcall(serial, c[1])
      assert.is_false(ok1)
      assert.equal(c[2], want.line)
      assert.equal(c[3], want.column)
      assert.matches(c[4], want.message, 1, true)
      for _, block in ipairs { 1, 9, 64 } do
        for _, chunk in ipairs { 1, 7, #c[1] + 1 } do
          local ok, err = pcall(parallel, c[1], chunk, block)
          assert.is_false(ok)
          assert.equal(want.message, err.message)
          assert.equal(want.line, err.line)
          assert.equal(want.column, err.column)
        end
      end
    end
  end)

  it("parses a large table in parts of the default size when threads are allowed", function()
    local rows = { "id,name,value,flag,count,score" }
    local rand = lcg(7)
    for i = 1, 60000 do
      rows[#rows + 1] = ("%d,%s,%.2f,%s,%s,%.17g"):format(i, rand(5) == 1 and '"a, ""b"""' or "w" .. rand(9),
        rand(100000) / 100, rand(2) == 1 and "True" or "False", rand(7) == 1 and "" or tostring(rand(1000)),
        rand(2147483647) / 2147483648)
    end
    local text = table.concat(rows, "\n") .. "\n" -- about 3 MB
    local want = serial(text, 65536)
    local opts = { threads = 2 }
    local got = DataFrame.from_csv(text, 65536, opts)
    assert.is_true(opts.parts >= 2, "parts: " .. tostring(opts.parts))
    same_frame(want, got, "60000 rows")
    -- below one block the parser stays serial
    opts = { threads = 2 }
    DataFrame.from_csv(table.concat(rows, "\n", 1, 1000), 65536, opts)
    assert.equal(0, opts.parts)
  end)

  it("formats large frames on threads with the serial writer's bytes", function()
    local rand = lcg(99)
    -- typed columns with missing values, strings needing quotes, bools, extremes
    local n = 20000
    local cols = { i = {}, f = {}, b = {}, s = {} }
    for r = 1, n do
      cols.i[r] = rand(9) == 1 and datagrok.null or rand(2 ^ 30) - 2 ^ 29
      cols.f[r] = ({ 0.1, 1e-300, 1e16, -0.0, 1 / 0, 2.5, rand(1000) / 7 })[rand(7)]
      cols.b[r] = rand(5) == 1 and datagrok.null or rand(2) == 1
      cols.s[r] = ({ "plain", "a,b", 'q"q', "line\nbreak", "cr\r", "", "ünï" })[rand(7)]
    end
    local df = DataFrame.from_columns({ "i", "f", "b", "s" }, cols)
    local want = df:to_csv(nil, { threads = 1 })
    for _, threads in ipairs { 2, 3, 8 } do
      assert.equal(want, df:to_csv(nil, { threads = threads }), "threads " .. threads)
    end
    -- a one-column frame writes an empty cell as ""
    local one = DataFrame.from_columns({ "s" }, { s = cols.s })
    assert.equal(one:to_csv(nil, { threads = 1 }), one:to_csv(nil, { threads = 2 }))
    -- to a file too
    local path = os.tmpname()
    assert.is_true(df:to_csv(path, { threads = 2 }))
    local fh = assert(io.open(path, "rb"))
    assert.equal(want, fh:read("a"))
    fh:close()
    os.remove(path)
    -- and what was written reads back as the same frame, serially or in parallel
    same_frame(serial(want), parallel(want, 65536, 4096), "round trip")
  end)
end)
