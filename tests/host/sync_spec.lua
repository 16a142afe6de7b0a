-- dg:sync_dir against the emulator: the protocol (docs/protocol.md, "Directory sync"),
-- the metadata format, the filters, and the sync promises of docs/safety.md (the kill -9
-- and concurrent-run tests spawn processes: tests/cli/sync_spec.lua).
local datagrok = require "datagrok"
local Error = require "datagrok.error"
local json = require "datagrok.json"
local emulator = require "emulator"
local tree = require "synctree"
local raises = require "raises"
local retrylog = require "retrylog"

local CONN = "System:DemoFiles"

describe("sync_dir", function()
  local e, dg

  -- a fresh server folder and local dir per test
  local function fresh(files) return tree.fresh(e, "t", files) end

  setup(function()
    e = emulator.start { demo = true }
    dg = datagrok.new("Bearer " .. e.key, e.url, { retries = 2, max_backoff = 3, low_speed_time = 1 })
  end)
  teardown(function()
    if e then e:stop() end
  end)
  before_each(function() e:clear_faults() end)

  it("mirrors the folder, writes the Python metadata format and re-syncs incrementally", function()
    local remote, share, dir = fresh { ["x.csv"] = "a,b\n1,2\n", ["sub/y.txt"] = "hello", ["sub/deep/z.bin"] = "\0\1\2" }
    local rep = dg:sync_dir(CONN, remote, dir)
    assert.same({ "sub/deep/z.bin", "sub/y.txt", "x.csv" }, rep.written)
    assert.same({}, rep.deleted)
    assert.same({}, rep.unchanged)
    assert.equal(13 + 3, rep.bytes)
    assert.is_false(rep.dry_run)
    assert.same(tree.snapshot(share), tree.snapshot(dir))
    -- json.dumps defaults: ", " and ": " separators, one line, keys are the relative paths
    local text = tree.read(dir .. "/.sync_meta.json")
    assert.matches('^{"sub/deep/z%.bin": "[%x-]+", "sub/y%.txt": "[%x-]+", "x%.csv": "[%x-]+"}$', text)

    -- nothing changed: everything not-modified, nothing rewritten
    rep = dg:sync_dir(CONN, remote, dir)
    assert.same({}, rep.written)
    assert.same({ "sub/deep/z.bin", "sub/y.txt", "x.csv" }, rep.unchanged)
    assert.equal(text, tree.read(dir .. "/.sync_meta.json"))

    -- a change, a new file, a server delete; an untracked local file stays
    tree.write(share .. "/x.csv", "a,b\n3,4\n5,6\n")
    tree.write(share .. "/new.txt", "new")
    os.remove(share .. "/sub/y.txt")
    tree.write(dir .. "/notes.txt", "mine")
    rep = dg:sync_dir(CONN, remote, dir)
    assert.same({ "new.txt", "x.csv" }, rep.written)
    assert.same({ "sub/y.txt" }, rep.deleted)
    assert.same({ "sub/deep/z.bin" }, rep.unchanged)
    local want = tree.snapshot(share)
    want["notes.txt"] = "mine"
    assert.same(want, tree.snapshot(dir))
    assert.same({ "new.txt", "sub/deep/z.bin", "x.csv" }, tree.keys(tree.meta(dir, json)))
  end)

  it("drops metadata keys whose files are gone locally, so the server sends them again", function()
    local remote, share, dir = fresh { ["a.txt"] = "A", ["b.txt"] = "B" }
    dg:sync_dir(CONN, remote, dir)
    os.remove(dir .. "/a.txt")
    e:clear_requests()
    local rep = dg:sync_dir(CONN, remote, dir)
    assert.same({ "a.txt" }, rep.written)
    assert.same({ "b.txt" }, rep.unchanged)
    assert.same(tree.snapshot(share), tree.snapshot(dir))
    local reqs = e:requests()
    assert.equal(1, #reqs)
    assert.equal("POST", reqs[1].method)
    assert.equal("/public/v1/files/sync/System.DemoFiles" .. remote, reqs[1].path)
    assert.equal("recursive=true", reqs[1].query)
    assert.equal("application/json", reqs[1].content_type)
  end)

  it("honours ext and recursive = false, positionally and as options", function()
    local remote, _, dir = fresh { ["a.csv"] = "1", ["b.txt"] = "2", ["sub/c.csv"] = "3", ["sub/d.CSV"] = "4" }
    local rep = dg:sync_dir(CONN, remote, dir, "csv", false)
    assert.same({ "a.csv" }, rep.written)
    assert.same({ "a.csv" }, tree.keys(tree.snapshot(dir)))
    rep = dg:sync_dir(CONN, remote, dir, { ext = ".csv", recursive = true })
    assert.same({ "sub/c.csv", "sub/d.CSV" }, rep.written)
    assert.same({ "a.csv" }, rep.unchanged)
    -- a file outside the filter is not "deleted" by a filtered sync
    rep = dg:sync_dir(CONN, remote, dir, "txt", false)
    assert.same({ "b.txt" }, rep.written)
    assert.same({}, rep.deleted)
    assert.same({ "a.csv", "b.txt", "sub/c.csv", "sub/d.CSV" }, tree.keys(tree.snapshot(dir)))
    -- a custom metadata file name (positional sixth argument)
    local dir2 = tree.tmpdir()
    dg:sync_dir(CONN, remote, dir2, nil, true, "state.json")
    assert.is_nil(tree.read(dir2 .. "/.sync_meta.json"))
    assert.same({ "a.csv", "b.txt", "sub/c.csv", "sub/d.CSV" }, tree.keys(tree.meta(dir2, json, "state.json")))
  end)

  it("reads and writes metadata keys with non-ASCII names as Python's json does", function()
    local remote, _, dir = fresh { ["données/é.txt"] = "x" }
    dg:sync_dir(CONN, remote, dir)
    local text = tree.read(dir .. "/.sync_meta.json")
    assert.matches('^{"donn\\u00e9es/\\u00e9%.txt": "[%x-]+"}$', text)
    assert.same({ "données/é.txt" }, dg:sync_dir(CONN, remote, dir).unchanged)
  end)

  it("keeps the metadata file's own key order and needs no global table library", function()
    local remote, share, dir = fresh { ["b.txt"] = "b", ["a.txt"] = "a", ["c.txt"] = "c" }
    dg:sync_dir(CONN, remote, dir)
    local meta = json.decode(tree.read(dir .. "/.sync_meta.json"))
    -- written back in an order that is not sorted: a re-sync keeps that order
    local text = ('{"c.txt": "%s", "a.txt": "%s", "b.txt": "%s"}'):format(meta["c.txt"], meta["a.txt"], meta["b.txt"])
    tree.write(dir .. "/.sync_meta.json", text)
    local saved = table
    table = nil -- luacheck: ignore
    local ok, rep = pcall(dg.sync_dir, dg, CONN, remote, dir)
    table = saved -- luacheck: ignore
    assert.is_true(ok, tostring(rep))
    assert.same({ "a.txt", "b.txt", "c.txt" }, rep.unchanged)
    assert.equal(text, tree.read(dir .. "/.sync_meta.json"))
    -- a new file is appended after the keys in the file's order
    tree.write(share .. "/0.txt", "0")
    rep = dg:sync_dir(CONN, remote, dir)
    assert.same({ "0.txt" }, rep.written)
    assert.matches('^{"c%.txt": "[^"]+", "a%.txt": "[^"]+", "b%.txt": "[^"]+", "0%.txt": "[^"]+"}$',
      tree.read(dir .. "/.sync_meta.json"))
  end)

  it("rejects misuse with bad argument errors", function()
    assert.has_error(function() dg:sync_dir(CONN, "/x", {}) end)
    local ok, err = pcall(dg.sync_dir, dg, CONN, "/x", tree.tmpdir(), { max_delete = "lots" })
    assert.is_false(ok)
    assert.matches("bad argument", tostring(err))
    ok, err = pcall(dg.sync_dir, dg, CONN, "/x", tree.tmpdir(), { sync_meta_file = "a/b.json" })
    assert.is_false(ok)
    assert.matches("plain file name", tostring(err))
  end)

  describe("empty remote guard", function()
    it("stops on 204 and on zero parts while files are tracked; allow_empty removes only tracked files", function()
      local remote, share, dir = fresh { ["a"] = "1", ["b"] = "2", ["c/d"] = "3" }
      dg:sync_dir(CONN, remote, dir)
      tree.write(dir .. "/notes.txt", "untracked")
      local before = tree.snapshot(dir, true)
      tree.rm(share .. "/a"); tree.rm(share .. "/b"); tree.rm(share .. "/c")
      local err = raises("UNSAFE_SYNC", function() dg:sync_dir(CONN, remote, dir) end)
      assert.matches("empty remote", err.message)
      assert.matches("204", err.message)
      assert.equal(5, Error.exit_code(err))
      assert.same(before, tree.snapshot(dir, true))

      -- a multipart answer with zero parts is the same stop
      local res = e:http("POST", "/_emulator/sync_parts", { body = "[]" })
      assert.equal(200, res.status)
      err = raises("UNSAFE_SYNC", function() dg:sync_dir(CONN, remote, dir) end)
      assert.matches("no files", err.message)
      assert.same(before, tree.snapshot(dir, true))

      -- the dry run says what allow_empty would do
      local rep = dg:sync_dir(CONN, remote, dir, { dry_run = true })
      assert.same({ "a", "b", "c/d" }, rep.deleted)
      assert.matches("empty remote", rep.would_stop)
      assert.same(before, tree.snapshot(dir, true))

      rep = dg:sync_dir(CONN, remote, dir, { allow_empty = true })
      assert.same({ "a", "b", "c/d" }, rep.deleted)
      assert.same({ ["notes.txt"] = "untracked" }, tree.snapshot(dir))
      assert.equal("{}", tree.read(dir .. "/.sync_meta.json"))
    end)
  end)

  describe("max_delete", function()
    it("refuses a larger delete and changes nothing; the dry run lists exactly the deletes", function()
      local files = {}
      for i = 1, 100 do files[("f%03d.txt"):format(i)] = "v" .. i end
      local remote, share, dir = fresh(files)
      dg:sync_dir(CONN, remote, dir)
      local gone = {}
      for i = 1, 60 do
        gone[i] = ("f%03d.txt"):format(i)
        os.remove(share .. "/" .. gone[i])
      end
      tree.write(share .. "/f100.txt", "changed") -- a write in the same answer is not applied either
      local before = tree.snapshot(dir, true)
      local err = raises("UNSAFE_SYNC", function() dg:sync_dir(CONN, remote, dir, { max_delete = "50%" }) end)
      assert.matches("max_delete", err.message)
      assert.matches("60 of 100", err.message)
      assert.equal(5, Error.exit_code(err))
      assert.same(before, tree.snapshot(dir, true))
      assert.same({}, tree.temps(dir))
      raises("UNSAFE_SYNC", function() dg:sync_dir(CONN, remote, dir, { max_delete = 59 }) end)
      assert.same(before, tree.snapshot(dir, true))

      local rep = dg:sync_dir(CONN, remote, dir, { dry_run = true, max_delete = "50%" })
      assert.same(gone, rep.deleted)
      assert.same({ "f100.txt" }, rep.written)
      assert.equal(7, rep.bytes)
      assert.matches("max_delete", rep.would_stop)
      assert.is_true(rep.dry_run)
      assert.same(before, tree.snapshot(dir, true))

      rep = dg:sync_dir(CONN, remote, dir, { max_delete = 60 })
      assert.same(gone, rep.deleted)
      assert.same(tree.snapshot(share), tree.snapshot(dir))
    end)
  end)

  describe("hostile names", function()
    it("refuses each, leaves the canary untouched, applies the valid parts, exit 6", function()
      local remote, share, dir = fresh { ["ok.txt"] = "fine" }
      local parent = dir:match("^(.*)/[^/]*$")
      tree.write(parent .. "/canary/keep.txt", "canary")
      local hostile = { "../evil", "/etc/evil", "a/../../evil", "..", "a\\..\\evil", "nul\0name", "bad\1name",
                        "bad\rname", "tab\tname", ".sync_meta.json", "../canary/keep.txt",
                        "x/.dgsync-1-1.tmp", "a//b", "./c" }
      local parts = {}
      for i, name in ipairs(hostile) do parts[i] = { name = name, body = "EVIL", etag = "e" .. i } end
      parts[#parts + 1] = { name = "fine/also.txt", body = "also", etag = "x" }
      local res = e:http("POST", "/_emulator/sync_parts", { body = json.encode(parts) })
      assert.equal(200, res.status)
      local err = raises("PARTIAL", function() dg:sync_dir(CONN, remote, dir) end)
      assert.equal(6, Error.exit_code(err))
      local rep = err.report
      local want = {}
      for i, name in ipairs(hostile) do want[i] = name end
      table.sort(want)
      assert.same(want, rep.failed)
      assert.same({ "fine/also.txt", "ok.txt" }, rep.written)
      for _, name in ipairs(hostile) do assert.is_string(rep.reasons[name]) end
      assert.matches("absolute", rep.reasons["/etc/evil"])
      assert.matches("%.%.", rep.reasons["a/../../evil"])
      assert.same({ ["canary/keep.txt"] = "canary", ["local/ok.txt"] = "fine", ["local/fine/also.txt"] = "also" },
        tree.snapshot(parent))
      assert.is_nil(tree.read("/etc/evil"))
      local meta = tree.meta(dir, json)
      assert.same({ "fine/also.txt", "ok.txt" }, tree.keys(meta))
      assert.equal("x", meta["fine/also.txt"])
      _ = share
    end)
  end)

  describe("planted symlink", function()
    it("writes and deletes nothing through a symlink inside the target", function()
      local remote, share, dir = fresh { ["sub/file.csv"] = "new", ["top.txt"] = "t" }
      local outside = tree.tmpdir()
      tree.write(outside .. "/x", "outside x")
      os.execute("mkdir -p " .. tree.quote(dir) .. " && ln -s " .. tree.quote(outside) .. " " .. tree.quote(dir .. "/sub"))
      tree.write(dir .. "/.sync_meta.json", '{"sub/x": "old-etag"}')
      local err = raises("PARTIAL", function() dg:sync_dir(CONN, remote, dir) end)
      assert.same({ "sub/file.csv" }, err.report.failed)
      assert.matches("symlink", err.report.reasons["sub/file.csv"])
      assert.same({ "top.txt" }, err.report.written)
      assert.same({}, err.report.deleted)
      assert.same({ x = "outside x" }, tree.snapshot(outside))
      -- even when the transfers succeed, a delete through the link is refused
      os.remove(share .. "/sub/file.csv")
      err = raises("PARTIAL", function() dg:sync_dir(CONN, remote, dir) end)
      assert.same({ "sub/x" }, err.report.failed)
      assert.same({ x = "outside x" }, tree.snapshot(outside))
    end)
  end)

  describe("interrupted download", function()
    local function setup_big()
      local files = {}
      for i = 1, 6 do files[("f%d.bin"):format(i)] = tree.bytes("old" .. i, 50000) end
      local remote, share, dir = fresh(files)
      dg:sync_dir(CONN, remote, dir)
      local new = {}
      for i = 1, 6 do
        new[("f%d.bin"):format(i)] = tree.bytes("new" .. i, 60000)
        tree.write(share .. ("/f%d.bin"):format(i), new[("f%d.bin"):format(i)])
      end
      return remote, share, dir, files, new
    end

    local function old_or_new(dir, old, new)
      local landed = 0
      for rel, content in pairs(tree.snapshot(dir)) do
        assert(content == old[rel] or content == new[rel], rel .. " is neither old nor complete")
        if content == new[rel] then landed = landed + 1 end
      end
      return landed
    end

    it("a connection cut mid-part leaves old or complete files; the next run completes", function()
      local remote, share, dir, old, new = setup_big()
      local strict = datagrok.new("Bearer " .. e.key, e.url, { retries = 0, low_speed_time = 1 })
      e:fault { prefix = "/public/v1/files/sync", action = "truncate", after_bytes = 200000 }
      local err = raises("CONNECT", function() strict:sync_dir(CONN, remote, dir) end)
      assert.is_table(err.report)
      local landed = old_or_new(dir, old, new)
      assert.equal(3, landed) -- 3 parts of 60,000 bytes were complete before the cut
      assert.same({}, tree.temps(dir))
      local rep = dg:sync_dir(CONN, remote, dir)
      assert.equal(3, #rep.written)     -- what landed is not fetched again
      assert.equal(3, #rep.unchanged)
      assert.same(tree.snapshot(share), tree.snapshot(dir))
      assert.same({}, tree.temps(dir))
    end)

    it("a stalled server trips the low-speed timeout; old files stay intact", function()
      local remote, share, dir, old, new = setup_big()
      local strict = datagrok.new("Bearer " .. e.key, e.url, { retries = 0, low_speed_time = 1 })
      e:fault { prefix = "/public/v1/files/sync", action = "stall", after_bytes = 90000, stall_seconds = 20 }
      local t0 = os.time()
      local err = raises("TIMEOUT", function() strict:sync_dir(CONN, remote, dir) end)
      assert.is_true(os.time() - t0 < 10)
      assert.equal(1, old_or_new(dir, old, new))
      assert.same({}, tree.temps(dir))
      _ = err
      local rep = dg:sync_dir(CONN, remote, dir)
      assert.equal(5, #rep.written)
      assert.same(tree.snapshot(share), tree.snapshot(dir))
    end)

    it("a reset on the first attempt is retried (the sync POST is idempotent)", function()
      local remote, share, dir = setup_big()
      e:fault { prefix = "/public/v1/files/sync", action = "truncate", after_bytes = 100000 }
      local rep = dg:sync_dir(CONN, remote, dir)
      assert.equal(6, #rep.written)
      assert.same(tree.snapshot(share), tree.snapshot(dir))
      assert.same({}, tree.temps(dir))
    end)

    it("a connection reset before the answer fails cleanly without retries and is retried with them", function()
      local remote, share, dir, old = setup_big()
      local strict = datagrok.new("Bearer " .. e.key, e.url, { retries = 0, low_speed_time = 1 })
      e:fault { prefix = "/public/v1/files/sync", action = "reset" }
      raises("CONNECT", function() strict:sync_dir(CONN, remote, dir) end)
      assert.same(old, tree.snapshot(dir))
      e:fault { prefix = "/public/v1/files/sync", action = "reset" }
      assert.equal(6, #dg:sync_dir(CONN, remote, dir).written)
      assert.same(tree.snapshot(share), tree.snapshot(dir))
    end)

    it("an ApiError answer raises and applies nothing", function()
      local remote, _, dir = fresh { ["a.txt"] = "a" }
      dg:sync_dir(CONN, remote, dir)
      e:fault { prefix = "/public/v1/files/sync", action = "status", status = 200 }
      local err = raises("API_ERROR", function() dg:sync_dir(CONN, remote, dir) end)
      _ = err
      assert.same({ ["a.txt"] = "a" }, tree.snapshot(dir))
    end)
  end)

  -- the waits the client logged (tests/support/retrylog.lua), not wall-clock bounds
  describe("retry policy on the sync POST", function()
    local log
    before_each(function() log = retrylog.start() end)
    after_each(function() log:stop() end)
    it("waits out 503 + Retry-After twice, then succeeds", function()
      local remote, share, dir = fresh { ["a.txt"] = "a" }
      e:fault { prefix = "/public/v1/files/sync", action = "status", status = 503, retry_after = 1, count = 2 }
      e:clear_requests()
      local rep = dg:sync_dir(CONN, remote, dir)
      assert.same({ "a.txt" }, rep.written)
      assert.equal(3, #e:requests())
      assert.same({
        { attempt = 1, of = 2, wait = 1, why = "HTTP 503, Retry-After 1 s" },
        { attempt = 2, of = 2, wait = 1, why = "HTTP 503, Retry-After 1 s" },
      }, log:take())
      assert.same(tree.snapshot(share), tree.snapshot(dir))
    end)

    it("gives up at once on 429 with a Retry-After beyond the cap (exit 4)", function()
      local remote, _, dir = fresh { ["a.txt"] = "a" }
      e:fault { prefix = "/public/v1/files/sync", action = "status", status = 429, retry_after = 3600, count = 5 }
      e:clear_requests()
      local err = raises("HTTP_429", function() dg:sync_dir(CONN, remote, dir) end)
      assert.equal(4, Error.exit_code(err))
      assert.equal(1, err.attempts)
      assert.equal(1, #e:requests())
      assert.same({}, log:take()) -- no wait at all
    end)

    it("does not retry a 400", function()
      local remote, _, dir = fresh { ["a.txt"] = "a" }
      e:fault { prefix = "/public/v1/files/sync", action = "status", status = 400, count = 5 }
      e:clear_requests()
      raises("HTTP_400", function() dg:sync_dir(CONN, remote, dir) end)
      assert.equal(1, #e:requests())
    end)
  end)

  it("dry_run changes nothing and reports what a run would write", function()
    local remote, _, dir = fresh { ["a.txt"] = "aaa", ["b/c.txt"] = "cc" }
    local rep = dg:sync_dir(CONN, remote, dir, { dry_run = true })
    assert.same({ "a.txt", "b/c.txt" }, rep.written)
    assert.equal(5, rep.bytes)
    assert.is_true(rep.dry_run)
    assert.is_nil(io.open(dir, "r"))
    rep = dg:sync_dir(CONN, remote, dir)
    assert.same({ "a.txt", "b/c.txt" }, rep.written)
  end)

  it("removes stray temporary files of an earlier run (and only those)", function()
    local remote, _, dir = fresh { ["a.txt"] = "a" }
    dg:sync_dir(CONN, remote, dir)
    tree.write(dir .. "/sub/.dgsync-999-1.tmp", "half")
    tree.write(dir .. "/.dgsync-999-2.tmp", "half")
    tree.write(dir .. "/.dgsync-keep.txt", "user file")
    dg:sync_dir(CONN, remote, dir)
    assert.same({}, tree.temps(dir))
    assert.equal("user file", tree.read(dir .. "/.dgsync-keep.txt"))
  end)

  describe("churn", function()
    it("converges to the server tree byte for byte over random rounds, some with faults", function()
      local remote, share, dir = fresh {}
      math.randomseed(20261128)
      local names = {}
      for i = 1, 24 do names[i] = (i % 3 == 0 and "d" .. (i % 4) .. "/" or "") .. "f" .. i .. ".dat" end
      local strict = datagrok.new("Bearer " .. e.key, e.url, { retries = 0, low_speed_time = 1 })
      tree.write(share .. "/seed.txt", "seed") -- never deleted: the folder is never empty
      for round = 1, 14 do
        for _ = 1, math.random(1, 8) do
          local name = names[math.random(#names)]
          local r = math.random()
          if r < 0.3 then os.remove(share .. "/" .. name)
          else tree.write(share .. "/" .. name, tree.bytes(name .. round .. r, math.random(0, 30000))) end
        end
        local faulted = round % 3 == 0
        if faulted then
          e:fault { prefix = "/public/v1/files/sync", action = "truncate", after_bytes = math.random(1, 40000) }
          pcall(strict.sync_dir, strict, CONN, remote, dir)
          assert.same({}, tree.temps(dir))
        end
        dg:sync_dir(CONN, remote, dir)
        assert.same(tree.snapshot(share), tree.snapshot(dir), "round " .. round)
        assert.same(tree.keys(tree.snapshot(share)), tree.keys(tree.meta(dir, json)), "round " .. round)
        -- the recorded eTags are the server's: a second run transfers nothing
        local rep = dg:sync_dir(CONN, remote, dir)
        assert.same({}, rep.written)
        assert.same({}, rep.deleted)
      end
    end)
  end)
end)
