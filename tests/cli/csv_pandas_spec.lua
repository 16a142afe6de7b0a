-- The CSV parser and writer against pandas itself (python3 with pandas, when
-- installed): the same input must give the same names, types and values as
-- pandas.read_csv, and the same values must be written byte for byte as
-- pandas' DataFrame.to_csv(index=False). Divergences that are by design
-- (src/csv.h) are mapped: pandas turns an int or bool column with missing
-- values into float64/object, where the DataFrame keeps int/bool.
local emulator = require "emulator"
local BIN = assert(os.getenv("DATAGROK_BIN"), "DATAGROK_BIN is not set")
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
    if kind == "int64": t = "int"
    elif kind == "bool": t = "bool"
    elif kind == "float64":
        texts = [v for v in raw[raw.columns[j]].tolist() if not pd.isna(v)]
        t = "int" if texts and all(INT.match(x) for x in texts) else "float"
        if t == "int":  # an int column with missing values: exact values from the text
            vals = [None if pd.isna(x) else int(x) for x in raw[raw.columns[j]].tolist()]
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

describe("CSV against pandas", function()
  it("infers the same names, types and values as pandas.read_csv", function()
    if not PY then return pending("python3 with pandas is not installed") end
    local cases = {
      basic = "a,b,c,d\n1,1.5,true,x\n2,-0.1,False,y\n",
      quoting = 'id,text\n1,"a,b"\n2,"say ""hi"""\n3,"two\nlines"\n4,""\n',
      line_ends = "a,b\r\n1,x\r\n2,y\r\n3,z",
      bom = "\239\187\191a,b\n1,2\n",
      blanks = "\n\na,b\n1,2\n\n  \n3\n,\n",
      na = "x,y\nNA,1\nnan,2\nN/A,3\nNULL,4\n#N/A,5\n<NA>,6\n-nan,7\n\"NaN\",8\nnull,9\n,10\n",
      numbers = "i,f,g\n 1,1e5,inf\n+2,.5,-Infinity\n007,-1.E-3,1e-400\n-0,1e308,nan\n",
      floats = "f\n0.1\n1e-300\n5e-324\n2.2250738585072014e-308\n1.7976931348623157e308\n"
        .. "0.30000000000000004\n123456789.123456789\n",
      mixed = "a,b,c,d\n1,1.50,true,1\n2,x,1,2.5\n007,3,False,3\n",
      bools = "b,c\ntrue,TRUE\nFalse,false\ntRuE,fAlSe\n",
      names = "a,a,a.1,,b\n1,2,3,4,5\n",
      int_missing = "a,b\n1,\n,x\n3,y\n",
      bool_missing = "a,b\ntrue,1\n,2\nfalse,3\n",
      all_missing = "a,b\n,1\n,2\n",
      header_only = "a,b\n",
      int64 = "a\n9223372036854775807\n-9223372036854775808\n",
      strings = "s\n ab\nba \n'q'\n1 2\n1_000\n0x10\n１\n",
      generated = generated_csv(2000),
    }
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

  it("cleans up", function()
    os.execute("rm -rf " .. sh_quote(tmp))
  end)
end)
