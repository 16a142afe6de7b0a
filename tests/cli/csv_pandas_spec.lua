-- The CSV parser and writer against pandas.
--
-- Always (no Python needed): every input in tests/fixtures/csv/in/ is read by
-- the DataFrame and written back with to_csv(); the bytes must equal what real
-- pandas wrote for it (read_csv(...).to_csv(index=False), committed in
-- tests/fixtures/csv/pandas/ by tests/fixtures/csv/make_fixtures.py), and the
-- column names, row count and types must match the recorded pandas dtypes.
--
-- When python3 with pandas is installed, also against pandas live: the same
-- input must give the same names, types and values as pandas.read_csv, and
-- the same values must be written byte for byte as pandas'
-- DataFrame.to_csv(index=False). Divergences that are by design (src/csv.h)
-- are mapped: pandas turns an int or bool column with missing values into
-- float64/object, where the DataFrame keeps int/bool, and integers beyond
-- int64 into uint64/object, where the DataFrame makes floats.
local emulator = require "emulator"
local BIN = assert(os.getenv("DATAGROK_BIN"), "DATAGROK_BIN is not set")
local SOURCE = os.getenv("DATAGROK_SOURCE_DIR") or "."
local FIXTURES = SOURCE .. "/tests/fixtures/csv"
local sh_quote, read, write = emulator.shell_quote, emulator.read_file, emulator.write_file

local function find_python()
  for _, py in ipairs { "python3", "/usr/bin/python3" } do
    if os.execute(py .. " -c 'import pandas' >/dev/null 2>&1") then return py end
  end
end
local PY = find_python()

local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p " .. sh_quote(tmp))

local function run(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok, _, code = p:close()
  assert(ok, ("command failed (%s): %s\n%s"):format(tostring(code), cmd, out))
  return out
end

-- Our description of a CSV file: names, types and values (JSON, floats as hex).
local DESCRIBE_LUA = [=[
local dg = require "datagrok"
local df = dg.read_csv(arg[1])
local cols = {}
for j = 1, df:ncols() do
  local col = dg.json.array({})
  for i, v in ipairs(df:column(j)) do
    if v == dg.null then col[i] = dg.null
    elseif math.type(v) == "float" then col[i] = { f = string.format("%a", v) }
    elseif math.type(v) == "integer" then col[i] = { i = tostring(v) }
    else col[i] = v end
  end
  cols[j] = col
end
io.write(dg.json.encode({ names = df:names(), types = df:types(), cols = cols, n = #df }))
]=]

-- pandas' description of the same file, in the same shape.
local DESCRIBE_PY = [=[
import json, re, sys
import pandas as pd
path = sys.argv[1]
# pandas' default float parser ("high") is not always correctly rounded
# (0.30000000000000004 reads as 0.3); the DataFrame parses as Python's float() does
df = pd.read_csv(path, float_precision="round_trip")
raw = pd.read_csv(path, dtype=str)
INT = re.compile(r"^[ \t]*[+-]?[0-9]+[ \t]*$")
names, types, cols = [], [], []
for j, name in enumerate(df.columns):
    s = df[name]
    kind = str(s.dtype)
    vals = [None if pd.isna(v) else v for v in s.tolist()]
    present = [v for v in vals if v is not None]
    cells = raw[raw.columns[j]].tolist()
    texts = [v for v in cells if not pd.isna(v)]
    all_int = bool(texts) and all(INT.match(x) for x in texts)
    fits = all_int and all(-2**63 <= int(x) < 2**63 for x in texts)
    if kind == "int64": t = "int"
    elif kind == "bool": t = "bool"
    elif kind == "float64" and fits:
        # an int column with missing values: exact values from the text
        t = "int"
        vals = [None if pd.isna(x) else int(x) for x in cells]
    elif kind == "float64": t = "float"
    elif kind == "uint64" or (kind == "object" and all_int):
        # integers beyond int64: a float column (pandas: uint64 or object)
        t = "float"
        vals = [None if pd.isna(x) else float(x) for x in cells]
    elif kind == "object" and present and all(isinstance(v, bool) for v in present): t = "bool"
    else: t = "string"
    out = []
    for v in vals:
        if v is None: out.append(None)
        elif t == "int": out.append({"i": str(int(v))})
        elif t == "float": out.append({"f": float(v).hex()})
        elif t == "bool": out.append(bool(v))
        else: out.append(str(v))
    names.append(str(name)); types.append(t); cols.append(out)
print(json.dumps({"names": names, "types": types, "cols": cols, "n": len(df)}))
]=]

-- Normalises hex floats so that Lua's %a and Python's float.hex compare.
local COMPARE_PY = [=[
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
def norm(d):
    for col in d["cols"]:
        for i, v in enumerate(col):
            if isinstance(v, dict) and "f" in v:
                col[i] = {"f": repr(float.fromhex(v["f"]))}
    if d["n"] == 0: d["cols"] = [[] for _ in d["cols"]]
    return d
a, b = norm(a), norm(b)
for k in ("names", "types", "n"):
    if a[k] != b[k]: print("DIFF", k, a[k], b[k]); sys.exit(1)
for j, (x, y) in enumerate(zip(a["cols"], b["cols"])):
    if x != y:
        for i, (u, v) in enumerate(zip(x, y)):
            if u != v: print("DIFF column", a["names"][j], "row", i + 1, u, v); sys.exit(1)
print("same")
]=]

local function compare_with_pandas(name, text)
  local csv = tmp .. "/" .. name .. ".csv"
  write(csv, text)
  write(tmp .. "/describe.lua", DESCRIBE_LUA)
  write(tmp .. "/describe.py", DESCRIBE_PY)
  write(tmp .. "/compare.py", COMPARE_PY)
  write(tmp .. "/ours.json", run(sh_quote(BIN) .. " " .. sh_quote(tmp .. "/describe.lua") .. " " .. sh_quote(csv)))
  write(tmp .. "/theirs.json", run(PY .. " " .. sh_quote(tmp .. "/describe.py") .. " " .. sh_quote(csv)))
  local verdict = run(PY .. " " .. sh_quote(tmp .. "/compare.py") .. " " .. sh_quote(tmp .. "/ours.json")
    .. " " .. sh_quote(tmp .. "/theirs.json") .. " || true")
  assert.equal("same\n", verdict, name .. ": " .. verdict)
end

-- A generated table of tricky values (deterministic).
local function generated_csv(rows)
  math.randomseed(7)
  local out = { "id,price,flag,label,maybe,tiny" }
  local words = { "plain", "a,b", 'say "hi"', "two\nlines", "crlf\r\ninside", "ünï ✓", " pad ", "#", "x" }
  for i = 1, rows do
    local price
    local r = math.random(6)
    if r == 1 then price = ("%.17g"):format(math.random() * 10 ^ math.random(-20, 20))
    elseif r == 2 then price = ("%.3f"):format(math.random(-1e6, 1e6) / 7)
    elseif r == 3 then price = ("%de%d"):format(math.random(1, 999), math.random(-310, 300))
    elseif r == 4 then price = "-." .. math.random(1, 99999)
    elseif r == 5 then price = tostring(math.random(-1000, 1000))
    else price = "" end
    local label = words[math.random(#words)]
    if label:find('[,"\r\n]') then label = '"' .. label:gsub('"', '""') .. '"' end
    local flag = ({ "true", "False", "TRUE", "false" })[math.random(4)]
    local maybe = math.random(4) == 1 and "" or tostring(math.random(-2 ^ 62, 2 ^ 62))
    local tiny = ("%.6e"):format(math.random() * 1e-300)
    out[#out + 1] = table.concat({ i, price, flag, label, maybe, tiny }, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

-- Fixtures: the inputs, pandas' outputs and dtypes (tests/fixtures/csv/make_fixtures.py).
local META = emulator.json.decode(assert(read(FIXTURES .. "/pandas/dtypes.json"),
  "tests/fixtures/csv/pandas/dtypes.json is missing"))

local function fixture_cases()
  local names = {}
  local p = io.popen("ls " .. sh_quote(FIXTURES .. "/in"))
  for line in p:lines() do
    local case = line:match("^(.+)%.csv$")
    if case then names[#names + 1] = case end
  end
  p:close()
  table.sort(names)
  return names
end
local CASES = fixture_cases()

-- pandas dtype -> DataFrame type (src/csv.h: Int64 and boolean are pandas' nullable
-- int and bool, which the DataFrame's int and bool columns are)
local TYPE_OF_DTYPE = { int64 = "int", Int64 = "int", float64 = "float", bool = "bool",
  boolean = "bool", object = "string" }

-- Reads each named input with the DataFrame and writes to_csv() to OUT/<case>.csv and
-- the row count, types and names to OUT/<case>.types (or the error to OUT/<case>.err).
local ROUND_TRIP_LUA = [=[
local dg = require "datagrok"
local in_dir, out_dir = arg[1], arg[2]
local function put(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end
for i = 3, #arg do
  local case = arg[i]
  local ok, err = pcall(function()
    local df = dg.read_csv(in_dir .. "/" .. case .. ".csv")
    put(out_dir .. "/" .. case .. ".csv", df:to_csv())
    local lines = { tostring(#df) }
    local names, types = df:names(), df:types()
    for j = 1, #names do lines[#lines + 1] = types[j] .. "\t" .. names[j] end
    put(out_dir .. "/" .. case .. ".types", table.concat(lines, "\n") .. "\n")
  end)
  if not ok then put(out_dir .. "/" .. case .. ".err", tostring(err)) end
end
]=]

-- "line N: ours | pandas" for the first line where two texts differ.
local function first_difference(ours, theirs)
  local n = 1
  local i = 1
  while i <= #ours and i <= #theirs and ours:byte(i) == theirs:byte(i) do
    if ours:byte(i) == 10 then n = n + 1 end
    i = i + 1
  end
  local function line_at(s)
    local from = i
    while from > 1 and s:byte(from - 1) ~= 10 do from = from - 1 end
    return ("%q"):format(s:sub(from, (s:find("\n", i, true) or #s + 1) - 1))
  end
  return ("byte %d, line %d: ours %s, pandas %s"):format(i, n, line_at(ours), line_at(theirs))
end

describe("CSV against pandas' committed output", function()
  local out = tmp .. "/fixtures"

  setup(function()
    os.execute("mkdir -p " .. sh_quote(out))
    write(tmp .. "/round_trip.lua", ROUND_TRIP_LUA)
    local args = {}
    for i, case in ipairs(CASES) do args[i] = sh_quote(case) end
    run(sh_quote(BIN) .. " " .. sh_quote(tmp .. "/round_trip.lua") .. " " .. sh_quote(FIXTURES .. "/in")
      .. " " .. sh_quote(out) .. " " .. table.concat(args, " "))
  end)

  it("has pandas' output for every input and no output without an input", function()
    assert.is_true(#CASES >= 20, "only " .. #CASES .. " inputs in tests/fixtures/csv/in")
    local recorded = {}
    for case in pairs(META.cases) do recorded[#recorded + 1] = case end
    table.sort(recorded)
    assert.are.same(CASES, recorded)
    assert.is_string(META.pandas)
  end)

  for _, case in ipairs(CASES) do
    it("reads and writes " .. case .. ".csv as pandas does", function()
      local err = read(out .. "/" .. case .. ".err")
      assert.is_nil(err, case .. ": " .. tostring(err))
      local theirs = assert(read(FIXTURES .. "/pandas/" .. case .. ".csv"), "no pandas output for " .. case)
      local ours = assert(read(out .. "/" .. case .. ".csv"), "no output for " .. case)
      assert.is_true(ours == theirs, case .. ": the CSV differs from pandas' at " .. first_difference(ours, theirs))
      -- names, row count and types against pandas' dtypes
      local lines = {}
      for line in assert(read(out .. "/" .. case .. ".types")):gmatch("[^\n]+") do lines[#lines + 1] = line end
      local meta = assert(META.cases[case], "no dtypes recorded for " .. case)
      assert.are.equal(meta.rows, tonumber(lines[1]), case .. ": rows")
      local want, got = {}, {}
      for j, col in ipairs(meta.columns) do
        local t = assert(TYPE_OF_DTYPE[col.dtype], case .. ": unknown pandas dtype " .. tostring(col.dtype))
        want[j] = t .. "\t" .. col.name
        got[j] = lines[j + 1]
      end
      got[#meta.columns + 1] = lines[#meta.columns + 2]
      assert.are.same(want, got, case .. ": types and names")
    end)
  end
end)

describe("CSV against pandas (live, when installed)", function()
  it("infers the same names, types and values as pandas.read_csv", function()
    if not PY then return pending("python3 with pandas is not installed") end
    -- the committed inputs, and a larger generated table
    local cases = { generated_2000 = generated_csv(2000) }
    for _, case in ipairs(CASES) do cases[case] = read(FIXTURES .. "/in/" .. case .. ".csv") end
    local names = {}
    for k in pairs(cases) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do compare_with_pandas(k, cases[k]) end
  end)

  it("writes the same bytes as pandas' to_csv(index=False) for the same values", function()
    if not PY then return pending("python3 with pandas is not installed") end
    -- the values, built in Lua, described as JSON for pandas, written by both
    write(tmp .. "/make.lua", [=[
local dg = require "datagrok"
math.randomseed(11)
local n = 3000
local cols = { i = {}, f = {}, b = {}, s = {} }
local hex = {}
local words = { "plain", "a,b", 'q"q', "l\nm", "crlf\r\n", " sp ", "", "ünï ✓", "#x", "'" }
for r = 1, n do
  local miss = math.random(8) == 1
  cols.i[r] = miss and dg.null or math.random(math.mininteger, math.maxinteger)
  local bits = string.pack("<I4I4", math.random(0, 0xffffffff), math.random(0, 0xffffffff))
  local x = ({ (string.unpack("<d", bits)), math.random(-1e9, 1e9) / 10 ^ math.random(0, 9),
    10.0 ^ math.random(-20, 20), math.random(1, 9) * 1.0 })[math.random(4)]
  if x ~= x or math.random(10) == 1 then x = dg.null end
  cols.f[r] = x
  hex[r] = x == dg.null and dg.null or string.format("%a", x)
  cols.b[r] = math.random(6) == 1 and dg.null or math.random(2) == 1
  cols.s[r] = math.random(9) == 1 and dg.null or words[math.random(#words)]
end
local df = dg.DataFrame.from_columns({ "i", "f", "b", "s" }, cols)
assert(table.concat(df:types(), ",") == "int,float,bool,string")
io.open(arg[1], "wb"):write(df:to_csv())
local j = { i = {}, f = hex, b = {}, s = cols.s }
for r = 1, n do
  j.i[r] = cols.i[r] == dg.null and dg.null or tostring(cols.i[r])
  j.b[r] = cols.b[r]
end
io.open(arg[2], "wb"):write(dg.json.encode(j))
]=])
    write(tmp .. "/write.py", [=[
import json, sys
import pandas as pd
d = json.load(open(sys.argv[1]))
df = pd.DataFrame({
    "i": pd.array([None if v is None else int(v) for v in d["i"]], dtype="Int64"),
    "f": pd.array([float("nan") if v is None else float.fromhex(v) for v in d["f"]], dtype="float64"),
    "b": pd.array(d["b"], dtype="boolean"),
    "s": pd.Series(d["s"], dtype=object),
})
sys.stdout.write(df.to_csv(index=False))
]=])
    run(sh_quote(BIN) .. " " .. sh_quote(tmp .. "/make.lua") .. " " .. sh_quote(tmp .. "/ours.csv")
      .. " " .. sh_quote(tmp .. "/values.json"))
    write(tmp .. "/theirs.csv", run(PY .. " " .. sh_quote(tmp .. "/write.py") .. " " .. sh_quote(tmp .. "/values.json")))
    local ours, theirs = read(tmp .. "/ours.csv"), read(tmp .. "/theirs.csv")
    assert.equal(#theirs, #ours)
    assert.is_true(ours == theirs, "the CSV texts differ")
    -- and pandas reads our file back to the values it would have written
    compare_with_pandas("written", ours)
  end)

  it("prints floats as Python's repr and reads them as Python's float()", function()
    if not PY then return pending("python3 with pandas is not installed") end
    -- random bit patterns, powers of two and ten, short decimals, 17-19 digit texts
    write(tmp .. "/floats.lua", [=[
local dg = require "datagrok"
math.randomseed(3)
local vals, hex, texts = {}, {}, {}
local function add(x) if x == x then vals[#vals + 1] = x; hex[#hex + 1] = ("%a"):format(x) end end
for _ = 1, 60000 do
  add((string.unpack("<d", string.pack("<I4I4", math.random(0, 0xffffffff), math.random(0, 0xffffffff)))))
  add(math.random() * 10.0 ^ math.random(-30, 30))
  add(math.random(1, 1 << 53) * 2.0 ^ math.random(-80, 40))
end
for e = -1074, 1023 do add(2.0 ^ e) end
for e = -320, 308 do add(tonumber("1e" .. e)) end
for i = 1, 60000 do
  texts[i] = ("%." .. math.random(16, 18) .. "e"):format(vals[i]):gsub("inf", "1")
end
io.open(arg[1], "wb"):write(dg.DataFrame.from_columns({ "x" }, { x = vals }):to_csv())
io.open(arg[2], "wb"):write(table.concat(hex, "\n"), "\n")
local df = dg.DataFrame.from_csv("t\n" .. table.concat(texts, "\n") .. "\n")
local parsed = {}
for i, v in ipairs(df:column(1)) do parsed[i] = ("%a"):format(v) end
io.open(arg[3], "wb"):write(table.concat(texts, "\n"), "\n")
io.open(arg[4], "wb"):write(table.concat(parsed, "\n"), "\n")
]=])
    write(tmp .. "/floats.py", [=[
import sys
lines = open(sys.argv[1]).read().split("\n")[1:-1]
hexes = open(sys.argv[2]).read().split()
assert len(lines) == len(hexes), (len(lines), len(hexes))
for l, h in zip(lines, hexes):
    if repr(float.fromhex(h)) != l: print("written", h, repr(float.fromhex(h)), l); sys.exit(1)
texts = open(sys.argv[3]).read().split()
parsed = open(sys.argv[4]).read().split()
assert len(texts) == len(parsed)
for t, h in zip(texts, parsed):
    if float(t) != float.fromhex(h): print("read", t, h); sys.exit(1)
print("same")
]=])
    local f = function(n) return sh_quote(tmp .. "/" .. n) end
    run(sh_quote(BIN) .. " " .. f("floats.lua") .. " " .. f("w.csv") .. " " .. f("w.hex") .. " "
      .. f("r.txt") .. " " .. f("r.hex"))
    assert.equal("same\n", run(PY .. " " .. f("floats.py") .. " " .. f("w.csv") .. " " .. f("w.hex")
      .. " " .. f("r.txt") .. " " .. f("r.hex") .. " || true"))
  end)

  it("finds the committed fixtures to be what the installed pandas writes", function()
    if not PY then return pending("python3 with pandas is not installed") end
    local version = run(PY .. " -c 'import pandas; print(pandas.__version__)'"):match("[^\n]+")
    if version ~= META.pandas then
      return pending(("pandas %s is installed, the fixtures were made with %s"):format(version, META.pandas))
    end
    run(PY .. " " .. sh_quote(FIXTURES .. "/make_fixtures.py") .. " " .. sh_quote(tmp .. "/regen"))
    for _, case in ipairs(CASES) do
      assert.are.equal(read(FIXTURES .. "/pandas/" .. case .. ".csv"), read(tmp .. "/regen/" .. case .. ".csv"),
        case .. ": the committed pandas output is stale (rerun make_fixtures.py)")
    end
    local regen = emulator.json.decode(read(tmp .. "/regen/dtypes.json"))
    assert.are.same(META.cases, regen.cases)
  end)

  it("cleans up", function()
    os.execute("rm -rf " .. sh_quote(tmp))
  end)
end)
