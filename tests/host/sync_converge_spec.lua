-- dg:sync_dir against the emulator: names that must never be mis-recorded, paths that
-- change between file and folder, what a dry run predicts, runs in nested targets, and
-- what the sync shows of the server's names and types (docs/safety.md, promises 2, 4,
-- 5, 6, 14, 19, 20, 21, 22 and 23).
local datagrok = require "datagrok"
local Error = require "datagrok.error"
local json = require "datagrok.json"
local log = require "datagrok.log"
local emulator = require "emulator"
local tree = require "synctree"
local raises = require "raises"

local CONN = "System:DemoFiles"

describe("sync_dir", function()
  local e, dg

  -- a fresh server folder and local dir per test
  local function fresh(files) return tree.fresh(e, "c", files) end

  local function arm(parts)
    local res = e:http("POST", "/_emulator/sync_parts", { body = json.encode(parts) })
    assert.equal(200, res.status)
  end

  -- runs fn with the log going to a fresh file; returns the log text
  local function logged(fn)
    local path = os.tmpname()
    log.set_file(path)
    local ok, err = pcall(fn)
    log.set_file(nil)
    local text = tree.read(path) or ""
    os.remove(path)
    return text, ok, err
  end

  setup(function()
    e = emulator.start { demo = true }
    dg = datagrok.new("Bearer " .. e.key, e.url, { retries = 0, low_speed_time = 2 })
  end)
  teardown(function()
    if e then e:stop() end
  end)
  before_each(function() e:clear_faults() end)

  describe("names that are not UTF-8", function()
    -- an overlong "\xc0\xaf" would be recorded as "/", a Latin-1 "\xe9" as U+FFFD: the
    -- key would then name the user's own file, which the next run would delete
    it("are refused, so no metadata key can name a file the sync never wrote", function()
      local remote, _, dir = fresh { ["ok.txt"] = "fine" }
      tree.write(dir .. "/a/b", "mine")                       -- what "a\xc0\xafb" would be recorded as
      tree.write(dir .. "/caf\xef\xbf\xbd.txt", "mine too")   -- what "caf\xe9.txt" would be recorded as
      arm { { name = "a\xc0\xafb", body = "X", etag = "e1" }, { name = "caf\xe9.txt", body = "Y", etag = "e2" },
            { name = "s\xed\xa0\x80.txt", body = "Z", etag = "e3" } }
      local err = raises("PARTIAL", function() dg:sync_dir(CONN, remote, dir) end)
      assert.equal(6, Error.exit_code(err))
      assert.same({ "a\xc0\xafb", "caf\xe9.txt", "s\xed\xa0\x80.txt" }, err.report.failed)
      for _, name in ipairs(err.report.failed) do assert.matches("UTF%-8", err.report.reasons[name]) end
      assert.same({ "ok.txt" }, tree.keys(tree.meta(dir, json)))
      -- the next runs delete nothing of the user's
      for _ = 1, 2 do
        local rep = dg:sync_dir(CONN, remote, dir)
        assert.same({}, rep.deleted)
      end
      assert.equal("mine", tree.read(dir .. "/a/b"))
      assert.equal("mine too", tree.read(dir .. "/caf\xef\xbf\xbd.txt"))
      assert.same({ "a/b", "caf\xef\xbf\xbd.txt", "ok.txt" }, tree.keys(tree.snapshot(dir)))
    end)
  end)

  describe("a path that changes between file and folder", function()
    it("converges both ways, and the dry run predicts the real run", function()
      local remote, share, dir = fresh { report = "r1", ["old/a.txt"] = "a", ["old/sub/b.txt"] = "b", ["keep.txt"] = "k" }
      dg:sync_dir(CONN, remote, dir)
      assert.same(tree.snapshot(share), tree.snapshot(dir))
      tree.write(dir .. "/notes.txt", "untracked") -- never touched

      -- the file `report` becomes a folder, the folder `old` becomes a file
      os.remove(share .. "/report")
      tree.write(share .. "/report/x.txt", "x")
      tree.rm(share .. "/old")
      tree.write(share .. "/old", "now a file")
      local dry = dg:sync_dir(CONN, remote, dir, { dry_run = true })
      local rep = dg:sync_dir(CONN, remote, dir)
      assert.same({ "old", "report/x.txt" }, rep.written)
      assert.same({ "old/a.txt", "old/sub/b.txt", "report" }, rep.deleted)
      assert.same(rep.written, dry.written)
      assert.same(rep.deleted, dry.deleted)
      local want = tree.snapshot(share)
      want["notes.txt"] = "untracked"
      assert.same(want, tree.snapshot(dir))
      assert.same({ "keep.txt", "old", "report/x.txt" }, tree.keys(tree.meta(dir, json)))

      -- and back again
      tree.rm(share .. "/report")
      tree.write(share .. "/report", "r2")
      os.remove(share .. "/old")
      tree.write(share .. "/old/c.txt", "c")
      rep = dg:sync_dir(CONN, remote, dir)
      assert.same({ "old/c.txt", "report" }, rep.written)
      assert.same({ "old", "report/x.txt" }, rep.deleted)
      want = tree.snapshot(share)
      want["notes.txt"] = "untracked"
      assert.same(want, tree.snapshot(dir))
      assert.same({}, dg:sync_dir(CONN, remote, dir).written)
    end)

    it("replaces within max_delete only", function()
      local remote, share, dir = fresh { ["old/a"] = "a", ["old/b"] = "b", ["old/c/d"] = "d", keep = "k" }
      dg:sync_dir(CONN, remote, dir)
      tree.rm(share .. "/old")
      tree.write(share .. "/old", "a file now")
      local before = tree.snapshot(dir, true)
      local err = raises("UNSAFE_SYNC", function() dg:sync_dir(CONN, remote, dir, { max_delete = 2 }) end)
      assert.matches("max_delete", err.message)
      assert.same(before, tree.snapshot(dir, true))
      assert.same({ "old/a", "old/b", "old/c/d" }, dg:sync_dir(CONN, remote, dir, { max_delete = 3 }).deleted)
      assert.equal("a file now", tree.read(dir .. "/old"))
    end)

    it("never touches an untracked file or folder in the way", function()
      local remote, share, dir = fresh { ["u/t.txt"] = "tracked", v = "tracked" }
      dg:sync_dir(CONN, remote, dir)
      tree.write(dir .. "/u/mine.txt", "mine")   -- an untracked file inside the tracked folder
      tree.rm(share .. "/u")
      tree.write(share .. "/u", "u is a file now")
      local dry = dg:sync_dir(CONN, remote, dir, { dry_run = true }) -- predicts the failure
      local err = raises("PARTIAL", function() dg:sync_dir(CONN, remote, dir) end)
      assert.same({ "u" }, err.report.failed)
      assert.matches("did not write", err.report.reasons.u)
      assert.same(err.report.failed, dry.failed)
      assert.same(err.report.reasons, dry.reasons)
      assert.same(err.report.deleted, dry.deleted)
      assert.same({}, dry.deleted)
      assert.equal("mine", tree.read(dir .. "/u/mine.txt"))
      assert.equal("tracked", tree.read(dir .. "/u/t.txt")) -- deletes wait for a clean run
      assert.same({}, tree.temps(dir))

      -- a file the user put where the server now has a folder
      local remote2, share2, dir2 = fresh { ["w.txt"] = "w" }
      dg:sync_dir(CONN, remote2, dir2)
      tree.write(dir2 .. "/y", "user's file")
      tree.write(share2 .. "/y/z.txt", "z")
      dry = dg:sync_dir(CONN, remote2, dir2, { dry_run = true })
      err = raises("PARTIAL", function() dg:sync_dir(CONN, remote2, dir2) end)
      assert.same({ "y/z.txt" }, err.report.failed)
      assert.same(err.report.reasons, dry.reasons)
      assert.same({}, dry.written)
      assert.equal("user's file", tree.read(dir2 .. "/y"))
    end)
  end)

  describe("a dry run", function()
    it("lists no deletes when a part is refused, as the real run then deletes nothing", function()
      local remote, share, dir = fresh { ["a.txt"] = "a", ["b.txt"] = "b" }
      dg:sync_dir(CONN, remote, dir)
      os.remove(share .. "/b.txt")
      arm { { name = "../evil", body = "x", etag = "x" } }
      local dry = dg:sync_dir(CONN, remote, dir, { dry_run = true })
      assert.same({ "../evil" }, dry.failed)
      arm { { name = "../evil", body = "x", etag = "x" } }
      local err = raises("PARTIAL", function() dg:sync_dir(CONN, remote, dir) end)
      assert.same(err.report.deleted, dry.deleted)
      assert.same({}, dry.deleted)
      assert.equal("b", tree.read(dir .. "/b.txt"))
      -- with nothing refused, both list the delete
      assert.same({ "b.txt" }, dg:sync_dir(CONN, remote, dir, { dry_run = true }).deleted)
      assert.same({ "b.txt" }, dg:sync_dir(CONN, remote, dir).deleted)
    end)
  end)

  describe("temporary files", function()
    it("of a run still in progress are left alone; those of a dead run are removed", function()
      local remote, _, dir = fresh { ["sub/f.txt"] = "f" }
      local live = dir .. "/sub/.dgsync-" .. e.pid .. "-1.tmp" -- a running process: another run
      local dead = dir .. "/sub/.dgsync-2147483646-1.tmp"
      tree.write(live, "in progress")
      tree.write(dead, "left by a killed run")
      dg:sync_dir(CONN, remote, dir)
      assert.equal("in progress", tree.read(live))
      assert.is_nil(tree.read(dead))
    end)
  end)

  describe("what it shows of the server's names and types", function()
    it("logs and raises a name with terminal escapes escaped, and refuses C1 controls", function()
      local remote, _, dir = fresh { ["ok.txt"] = "ok" }
      local esc, csi = "evil\27]0;owned\7.txt", "evil\xc2\x9b31m.txt"
      arm { { name = esc, body = "x", etag = "x" }, { name = csi, body = "x", etag = "y" } }
      local text, ok, err = logged(function() return dg:sync_dir(CONN, remote, dir) end)
      assert.is_false(ok)
      assert.equal("PARTIAL", err.code)
      assert.same({ esc, csi }, err.report.failed) -- the report has the names as sent
      for _, s in ipairs { text, err.message, tostring(err) } do
        assert.is_nil(s:find("[\0-\8\11-\31\127]"), s)
        assert.is_nil(s:find("\xc2\x9b", 1, true), s)
      end
      assert.truthy(text:find("evil\\x1b]0;owned\\x07.txt", 1, true), text)
      assert.equal(1, select(2, text:gsub("\n", "\n")) - select(2, text:gsub("refused or failed", "")) + 1)
    end)

    it("reads a Content-Type longer than 127 bytes whole", function()
      local remote, _, dir = fresh {}
      local boundary = "b0undary"
      local ct = "multipart/form-data; charset=utf-8; x-pad=" .. ("p"):rep(80) .. "; boundary=" .. boundary
      assert.is_true(#ct >= 140)
      local body = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n"
        .. "X-File-E-Tag: 1\r\n\r\nhello\r\n--" .. boundary .. "--\r\n"
      e:fault { prefix = "/public/v1/files/sync", action = "status", status = 200, body = body, content_type = ct }
      local rep = dg:sync_dir(CONN, remote, dir)
      assert.same({ "f.txt" }, rep.written)
      assert.equal("hello", tree.read(dir .. "/f.txt"))
    end)

    it("never shows the key when the server echoes it in a Content-Type or a part name", function()
      local remote, _, dir = fresh { ["ok.txt"] = "ok" }
      local key = e.key
      e:fault { prefix = "/public/v1/files/sync", action = "status", status = 200, body = "<html>login</html>",
                content_type = "text/html; x=" .. ("z"):rep(70) .. key }
      local text, ok, err = logged(function() return dg:sync_dir(CONN, remote, dir) end)
      assert.is_false(ok)
      assert.equal("PROTOCOL", err.code)
      assert.matches("Incorrect response type", err.message)
      for _, s in ipairs { text, err.message, tostring(err), json.encode(err.report or {}) } do
        assert.is_nil(s:find(key, 1, true), s)
        assert.is_nil(s:find(key:sub(1, 8), 1, true), s) -- not even a cut-off part of it
      end
      arm { { name = "../" .. key, body = "x", etag = "x" }, { name = ("n"):rep(110) .. "\1" .. key, body = "x", etag = "y" } }
      text, ok, err = logged(function() return dg:sync_dir(CONN, remote, dir) end)
      assert.is_false(ok)
      assert.equal("PARTIAL", err.code)
      assert.equal(2, #err.report.failed)
      for _, s in ipairs { text, err.message, tostring(err), json.encode(err.report) } do
        assert.is_nil(s:find(key:sub(1, 8), 1, true), s)
      end
    end)
  end)

  describe("a remote folder that does not exist", function()
    it("raises and leaves no metadata file (nor the folder it would have made)", function()
      local dir = tree.tmpdir() .. "/local"
      local ok, err = pcall(dg.sync_dir, dg, CONN, "/no-such-folder-here", dir)
      assert.is_false(ok)
      assert.is_true(err.status == 404 or err.api_code == 404, tostring(err))
      assert.is_nil(tree.read(dir .. "/.sync_meta.json"))
      assert.is_nil(io.open(dir, "r") and io.open(dir .. "/.", "r"))
      -- an existing folder stays, without a metadata file
      os.execute("mkdir -p " .. tree.quote(dir))
      assert.is_false(pcall(dg.sync_dir, dg, CONN, "/no-such-folder-here", dir))
      assert.is_nil(tree.read(dir .. "/.sync_meta.json"))
      assert.is_not_nil(io.open(dir .. "/.", "r"))
    end)
  end)

  describe("the report", function()
    it("encodes its lists as JSON arrays, empty ones as []", function()
      local remote, _, dir = fresh { ["a.txt"] = "a" }
      local rep = dg:sync_dir(CONN, remote, dir)
      local text = json.encode(rep, { sort_keys = true })
      assert.matches('"deleted":%[%]', text)
      assert.matches('"failed":%[%]', text)
      assert.matches('"unchanged":%[%]', text)
      assert.matches('"written":%["a.txt"%]', text)
      assert.is_true(json.is_array(rep.deleted))
    end)
  end)
end)
