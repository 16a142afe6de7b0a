-- dg.tables and dg.files, the resource-style names of the seed's table and file calls:
-- the same requests, the same results, the same retry policy.
local emulator = require "emulator"
local policy = require "retry_policy"

local e, dg

setup(function() e, dg = emulator.start_with_client() end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("dg.tables", function()
  it("downloads, uploads and creates a dashboard like the seed's calls", function()
    local df = dg.tables:download("Demo:demog")
    assert.are.equal("/public/v1/tables/Demo.demog", e:last_request().path)
    assert.are.equal(300, #df)
    local ids = dg.tables:upload("facade_table", df:head(5))
    assert.are.equal("text/csv", e:last_request().content_type)
    assert.are.equal(5, #dg.tables:download(ids.ID))
    local d = dg.tables:create_dashboard("Facade board", {ids.ID})
    assert.is_string(d.ID)
    assert.are.equal("POST", e:last_request().method)
  end)

  it("raises API_ERROR for a missing table; retries downloads", function()
    local ok, err = pcall(dg.tables.download, dg.tables, "no_such_table")
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    policy.retried(e, "GET", "/public/v1/tables/Demo.demog", function() return dg.tables:download("Demo:demog") end)
    policy.not_retried(e, "POST", "/public/v1/dashboards/", function()
      return dg.tables:create_dashboard("Once", "Demo:demog")
    end)
  end)
end)

describe("dg.files", function()
  it("lists, downloads, uploads, deletes and syncs", function()
    local names = {}
    for _, f in ipairs(dg.files:list("System:DemoFiles")) do names[#names + 1] = f.name end
    table.sort(names)
    assert.is_truthy(table.concat(names, ","):find("README.md", 1, true))
    assert.matches("^# DemoFiles", dg.files:download("System:DemoFiles", "README.md"))
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "wb"))
    f:write("facade bytes")
    f:close()
    assert.is_true(dg.files:upload("System:DemoFiles", "inbox/facade.txt", tmp))
    assert.are.equal("facade bytes", dg.files:download("System:DemoFiles", "inbox/facade.txt"))
    assert.is_true(dg.files:delete("System:DemoFiles", "inbox/facade.txt"))
    os.remove(tmp)
    local dir = os.tmpname()
    os.remove(dir)
    local rep = dg.files:sync_dir("System:DemoFiles", "chem", dir)
    assert.is_truthy(#rep.written >= 1)
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("raises for a missing file; retries downloads and deletes", function()
    local ok, err = pcall(dg.files.download, dg.files, "System:DemoFiles", "nothing.txt")
    assert.is_false(ok)
    assert.are.equal(404, err.status or err.api_code)
    policy.retried(e, "GET", "/public/v1/files/System.DemoFiles/README.md", function()
      return dg.files:download("System:DemoFiles", "README.md")
    end)
  end)
end)
