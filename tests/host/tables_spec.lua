-- Tables and files against the emulator (src/tables.c, src/files.c): the
-- official Python README example in Lua, round trips, streaming to files,
-- listing and deleting, retries and errors.
local datagrok = require "datagrok"
local emulator = require "emulator"
local null = datagrok.null
local read, write = emulator.read_file, emulator.write_file

describe("tables and files", function()
  local e, dg, dir

  setup(function()
    e = emulator.start { demo = true }
    dg = datagrok.new("Bearer " .. e.key, e.url)
    dir = emulator.tmpdir()
  end)

  teardown(function()
    if dg then dg:close() end
    if e then e:stop() end
    if dir then os.execute("rm -rf " .. emulator.shell_quote(dir)) end
  end)

  it("runs the official README example", function()
    -- result = grok.call_function('Abs', {'x': -3})
    assert.equal(3, dg:call_function("Abs", { x = -3 }))
    -- df = grok.download_file('system.demofiles', 'demog.csv')
    local df = dg:download_file("system.demofiles", "demog.csv")
    assert.is_true(datagrok.DataFrame.is(df))
    assert.equal(300, #df)
    assert.same({ "subject", "age", "sex", "race", "height", "weight" }, df:names())
    assert.same({ "string", "int", "string", "string", "float", "float" }, df:types())
    -- table_info = grok.upload_table('my_table', df)
    local info = dg:upload_table("my_table", df)
    assert.is_string(info.ID)
    assert.equal("Admin:my_table:my_table", info["Grok name"])
    -- df2 = grok.download_table(table_info['ID'])
    local df2 = dg:download_table(info.ID)
    assert.same(df:types(), df2:types())
    for j = 1, df:ncols() do assert.same(df:column(j), df2:column(j)) end
    -- dashboard = grok.create_dashboard('my_dashboard', table_info['ID'], 'layout.json')
    local layout = dir .. "/layout.json"
    write(layout, '{"#type": "ViewLayout", "viewStateMap": {}}')
    local dash = dg:create_dashboard("my_dashboard", info.ID, layout)
    assert.is_string(dash.ID)
    -- grok.share_dashboard(dashboard['ID'], 'Chemists')
    assert.is_true(dg:share_dashboard(dash.ID, "Chemists"))
  end)

  it("round-trips a table with quotes, commas, newlines, unicode, empty cells and extremes", function()
    local df = datagrok.DataFrame.from_columns({ "id", "text", "x", "flag" }, {
      id = { math.mininteger, -1, 0, 9007199254740993, math.maxinteger, null },
      text = { 'a "quoted", text', "line1\nline2\r\nline3", "ünïcødé ✓ 日本語", "", null, "=1+2" },
      x = { 0.1, 1e-300, -2.5e300, 1 / 3, null, -0.0 },
      flag = { true, false, null, true, false, true },
    })
    local ids = dg:upload_table("Tricky", df)
    local back = dg:download_table(ids.ID)
    assert.same(df:names(), back:names())
    assert.same(df:types(), back:types())
    local want = df:column("text")
    want[4] = null -- an empty string is written empty and reads back missing (as in pandas)
    assert.same(want, back:column("text"))
    for _, c in ipairs { "id", "x", "flag" } do assert.same(df:column(c), back:column(c), c) end
    -- download -> upload -> download gives the same values again
    local again = dg:download_table(dg:upload_table("Tricky", back).ID)
    for j = 1, back:ncols() do assert.same(back:column(j), again:column(j)) end
    assert.equal(back:to_csv(), again:to_csv())
    -- by Grok name too (':' becomes '.')
    assert.equal(#back, #dg:download_table(ids["Grok name"]))
  end)

  it("uploads a CSV file as a table, streamed with its length", function()
    local path = dir .. "/upload.csv"
    write(path, "a,b\n1,x\n2,y\n")
    e:clear_requests()
    local ids = dg:upload_table("FromFile", path)
    local df = dg:download_table(ids.ID)
    assert.same({ 1, 2 }, df:column("a"))
    local reqs = e:requests()
    local up
    for _, r in ipairs(reqs) do if r.method == "POST" then up = r end end
    assert.matches("^text/csv", up.content_type)
    local ok, err = pcall(dg.upload_table, dg, "X", dir .. "/missing.csv")
    assert.is_false(ok)
    assert.equal("IO", err.code)
    assert.has_error(function() dg:upload_table("X", 42) end)
  end)

  it("raises API_ERROR for a missing table and CSV with line and column for bad data", function()
    local ok, err = pcall(dg.download_table, dg, "no_such_table")
    assert.is_false(ok)
    assert.equal("API_ERROR", err.code)
    local bad = dir .. "/bad.csv"
    write(bad, 'a,b\n1,2\n3,"open\n4,5\n')
    local ids = dg:upload_table("Broken", bad)
    ok, err = pcall(dg.download_table, dg, ids.ID)
    assert.is_false(ok)
    assert.equal("CSV", err.code)
    assert.same({ 3, 3 }, { err.line, err.column })
    assert.matches("table '" .. ids.ID .. "'", err.message, 1, true)
  end)

  it("restarts the parser when a download is retried", function()
    e:fault { prefix = "/public/v1/tables/", method = "GET", count = 1, action = "truncate",
      after_bytes = 1000 }
    local df = dg:download_table("Demo:demog")
    assert.equal(300, #df)
    e:fault { prefix = "/public/v1/tables/", method = "GET", count = 2, action = "status", status = 503 }
    assert.equal(300, #dg:download_table("Demo:demog"))
    e:clear_faults()
  end)

  it("rewinds the streamed body when an upload is retried", function()
    local df = datagrok.DataFrame.from_columns({ "n", "s" }, { n = { 1, 2, 3 }, s = { "a", "b,c", "d" } })
    local function posts(prefix)
      local k = 0
      for _, r in ipairs(e:requests()) do
        if r.method == "POST" and r.path:sub(1, #prefix) == prefix then k = k + 1 end
      end
      return k
    end
    e:clear_requests()
    e:fault { prefix = "/public/v1/tables/", method = "POST", count = 2, action = "status", status = 503 }
    local ids = dg:upload_table("Retried", df)
    assert.equal(3, posts("/public/v1/tables/Retried"))
    assert.equal(df:to_csv(), dg:download_table(ids.ID):to_csv())
    local src = dir .. "/retry.bin"
    write(src, ("0123456789"):rep(100000))
    e:fault { prefix = "/public/v1/files/", method = "POST", count = 1, action = "status", status = 502 }
    assert.is_true(dg:upload_file("System:DemoFiles", "retry.bin", src))
    assert.equal(2, posts("/public/v1/files/System.DemoFiles/retry.bin"))
    assert.equal(read(src), dg:download_file("System:DemoFiles", "retry.bin"))
    e:clear_faults()
  end)

  it("moves a large table through the parallel writer and parser, retries included", function()
    -- 80,000 rows (about 3.5 MB): formatted and parsed on every core (csv.h)
    local rows = { "id,name,value,flag,count,score" }
    for i = 1, 80000 do
      rows[#rows + 1] = ("%d,%s,%.2f,%s,%s,%.17g"):format(i, i % 5 == 0 and '"a, ""b"""' or "w" .. i % 9,
        i * 0.37, i % 2 == 0 and "True" or "False", i % 7 == 0 and "" or tostring(i % 1000), 1 / i)
    end
    local text = table.concat(rows, "\n") .. "\n"
    local df = datagrok.DataFrame.from_csv(text, 65536, { threads = 1 })
    local want = df:to_csv(nil, { threads = 1 })
    -- the upload is refused twice, so its body (formatted ahead on threads) is rewound
    e:fault { prefix = "/public/v1/tables/", method = "POST", count = 2, action = "status", status = 503 }
    local ids = dg:upload_table("Large", df)
    -- the download is cut after 2 MB, so the parser starts over with its parts in flight
    e:fault { prefix = "/public/v1/tables/", method = "GET", count = 1, action = "truncate",
      after_bytes = 2000000 }
    local back = dg:download_table(ids.ID)
    e:clear_faults()
    assert.equal(80000, #back)
    assert.same(df:types(), back:types())
    assert.equal(want, back:to_csv())
  end)

  it("downloads non-CSV files as strings and any file to a local path", function()
    local readme = dg:download_file("System:DemoFiles", "README.md")
    assert.is_string(readme)
    assert.matches("^# DemoFiles", readme)
    local ic50 = dg:download_file("system.demofiles", "chem/assays/ic50.csv")
    assert.same({ "compound", "target", "ic50_nm" }, ic50:names())
    local target = dir .. "/demog-copy.csv"
    assert.equal(target, dg:download_file("system.demofiles", "demog.csv", { to = target }))
    assert.equal(datagrok.DataFrame.from_csv(read(target)):to_csv(),
      dg:download_file("system.demofiles", "demog.csv"):to_csv())
    -- no temporary file is left behind
    local p = io.popen("ls -a " .. emulator.shell_quote(dir))
    for name in p:lines() do assert.is_nil(name:find(".tmp-", 1, true), name) end
    p:close()
    -- a failed download leaves the old file as it was
    write(target, "old")
    local ok, err = pcall(dg.download_file, dg, "system.demofiles", "nope.bin", { to = target })
    assert.is_false(ok)
    assert.equal("old", read(target))
    assert.is_truthy(err.status or err.code)
    ok, err = pcall(dg.download_file, dg, "system.demofiles", "demog.csv", { to = dir .. "/no/dir/x" })
    assert.is_false(ok)
    assert.equal("IO", err.code)
  end)

  it("uploads files streamed from disk, byte-exact, and lists and deletes them", function()
    local bytes = {}
    for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
    local blob = table.concat(bytes):rep(4096) -- 1 MiB with NUL and high bytes
    local src = dir .. "/blob.bin"
    write(src, blob)
    assert.is_true(dg:upload_file("System:DemoFiles", "up/blob.bin", src))
    assert.equal(blob, dg:download_file("System:DemoFiles", "up/blob.bin"))
    assert.is_true(dg.files:upload("System:DemoFiles", "up/deeper/b.csv", src))

    local names = {}
    for _, entry in ipairs(dg.files:list("System:DemoFiles", "", true)) do names[entry.path] = entry end
    assert.is_truthy(names["chem/assays/ic50.csv"])
    assert.equal(#blob, names["up/blob.bin"].size)
    assert.is_true(names["up/blob.bin"].isFile)
    local top = dg.files:list("System:DemoFiles")
    for _, entry in ipairs(top) do assert.is_nil(entry.path:find("/assays/", 1, true)) end
    local sub = dg.files:list("System:DemoFiles", "up")
    assert.equal(2, #sub)
    -- the session method with the connector alone lists the top (dir and recursive optional)
    assert.same(top, dg:list_files("System:DemoFiles"))

    assert.is_true(dg.files:delete("System:DemoFiles", "up/blob.bin"))
    local ok = pcall(dg.download_file, dg, "System:DemoFiles", "up/blob.bin")
    assert.is_false(ok)
    ok = pcall(dg.upload_file, dg, "System:DemoFiles", "x.bin", dir .. "/absent")
    assert.is_false(ok)
    assert.equal("datagrok.Files<" .. tostring(dg) .. ">", tostring(dg.files))
  end)
end)
