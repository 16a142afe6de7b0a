#!/usr/bin/env datagrok
--- nightly-sync: mirrors Datagrok file shares into local directories, safely, for
-- cron and systemd timers (scripts/systemd/). One job from the flags, or several
-- from a configuration file (scripts/nightly-sync.example.lua). Each job is one
-- dg:sync_dir with the delete cap on (50% of the tracked files unless told
-- otherwise), and prints one summary line:
--
--   reports: written=3 deleted=1 unchanged=40 failed=0 bytes=52311 seconds=0.42
--
-- A failing job is reported (FAILED ...) and the next one runs; the process exits
-- with the worst job's code (5 safety stop, 6 partial, 7 locked, ...).
local datagrok = require "datagrok"
local core = require "datagrok.core"
local config_file = datagrok.config_file
local Error = datagrok.Error

local EXIT_CODES = [[
Exit codes: 0 every job ran; 2 usage or configuration; 3 the key was refused;
4 the server kept failing; 5 a safety stop (more deletes than --max-delete, or an
empty remote); 6 partial (some files failed); 7 locked (the directory is being synced);
130 interrupted. With several jobs: the worst job's code.]]

local cli = datagrok.cli{
  name = "nightly-sync",
  summary = "Mirror Datagrok file shares into local directories (one job from the flags, "
    .. "or several from --config).",
  options = {
    {"connector", metavar = "C", help = "the connector, e.g. System:DemoFiles"},
    {"remote", metavar = "PATH", help = "the folder of the share to mirror, e.g. /reports"},
    {"dir", metavar = "DIR", help = "the local directory (created when missing)"},
    {"ext", metavar = "E", help = "only files with this extension, e.g. csv"},
    {"max-delete", type = "count_or_percent",
     help = "stop (exit 5) rather than delete more than N files, or N% of the tracked ones "
       .. "[default: 50%]"},
    {"dry-run", type = "boolean", help = "ask the server, change nothing, report what would change"},
    {"config", metavar = "FILE", help = "the jobs, from a Lua, JSON or YAML table file"},
  },
  common = true,
  epilog = EXIT_CODES,
}

local DEFAULT_MAX_DELETE = "50%"
local FILE_FIELDS = {"jobs", "max_delete", "ext", "recursive"}
local JOB_FIELDS = {"name", "connector", "remote", "dir", "ext", "max_delete", "recursive"}

local function usage(fmt, ...)
  return Error.new("USAGE", ("nightly-sync: " .. fmt):format(...), {hint = "see nightly-sync --help"})
end

local function config_error(fmt, ...) return Error.new("CONFIG", fmt:format(...)) end

--- A max_delete value from a file: a non-negative integer or "N%" (0..100).
local function check_max_delete(v, where)
  if v == nil then return nil end
  if math.type(v) == "integer" and v >= 0 then return v end
  if type(v) == "string" then
    local n = tonumber(v:match("^(%d+)%%$"))
    if n and n <= 100 then return v end
  end
  error(config_error("%s: max_delete must be a count (e.g. 10) or a percent (e.g. \"50%%\"), got %s",
    where, tostring(v)), 0)
end

local function check_string(v, what, where, required)
  if v == nil and not required then return nil end
  if type(v) ~= "string" or v == "" then
    error(config_error("%s: '%s' must be a non-empty string", where, what), 0)
  end
  return v
end

--- The jobs to run, from --config or from the flags.
local function jobs_of(opts)
  if opts.config then
    if opts.connector or opts.remote or opts.dir then
      error(usage("give --config or --connector/--remote/--dir, not both"), 0)
    end
    local file = opts.config
    local conf = config_file.check(config_file.read(file), FILE_FIELDS, file)
    if type(conf.jobs) ~= "table" or #conf.jobs == 0 then
      error(config_error("%s: 'jobs' must be a non-empty list of {connector=, remote=, dir=}", file), 0)
    end
    local default_max = check_max_delete(conf.max_delete, file)
    local jobs, names = {}, {}
    for i, j in ipairs(conf.jobs) do
      local where = ("%s: jobs[%d]"):format(file, i)
      config_file.check(j, JOB_FIELDS, where)
      local job = {
        connector = check_string(j.connector, "connector", where, true),
        remote = check_string(j.remote, "remote", where, true),
        dir = check_string(j.dir, "dir", where, true),
        ext = check_string(j.ext, "ext", where) or check_string(conf.ext, "ext", file),
        max_delete = check_max_delete(j.max_delete, where) or default_max,
        recursive = j.recursive,
      }
      if job.recursive == nil then job.recursive = conf.recursive end
      if job.recursive ~= nil and type(job.recursive) ~= "boolean" then
        error(config_error("%s: 'recursive' must be true or false", where), 0)
      end
      job.name = check_string(j.name, "name", where) or job.dir
      if names[job.name] then error(config_error("%s: a second job named '%s'", where, job.name), 0) end
      names[job.name] = true
      jobs[i] = job
    end
    return jobs
  end
  local missing = {}
  for _, k in ipairs({"connector", "remote", "dir"}) do
    if not opts[k] then missing[#missing + 1] = "--" .. k end
  end
  if #missing > 0 then
    error(usage("%s %s required (or --config FILE)", table.concat(missing, ", "),
      #missing == 1 and "is" or "are"), 0)
  end
  return {{name = opts.dir, connector = opts.connector, remote = opts.remote, dir = opts.dir,
    ext = opts.ext}}
end

--- The job's summary: counts, bytes and seconds (what a report has; zeros without one).
local function summary(rep, seconds, err)
  rep = rep or {}
  local s = ("written=%d deleted=%d unchanged=%d failed=%d bytes=%d seconds=%.2f"):format(
    #(rep.written or {}), #(rep.deleted or {}), #(rep.unchanged or {}), #(rep.failed or {}),
    rep.bytes or 0, seconds)
  if rep.dry_run then s = s .. " dry_run=true" end
  if rep.would_stop then s = s .. (" would_stop=%q"):format(rep.would_stop) end
  if err then s = s .. " error=" .. tostring(err.code) end
  return s
end

datagrok.main(function(...)
  local opts = cli:parse({...})
  local jobs = jobs_of(opts)
  local dg <close> = datagrok.connect{profile = opts.profile, config_file = opts.config_file}
  local plan = datagrok.plan{title = "nightly-sync", dry_run = opts.dry_run, noun = "job",
    codes = "worst"}
  for _, job in ipairs(jobs) do
    job.max_delete = opts.max_delete or job.max_delete or DEFAULT_MAX_DELETE
    local label = job.name
    plan:add(label, function(dry_run)
      local t0 = core.monotonic()
      local ok, res = pcall(dg.sync_dir, dg, job.connector, job.remote, job.dir, {
        ext = job.ext, recursive = job.recursive, max_delete = job.max_delete, dry_run = dry_run})
      local seconds = core.monotonic() - t0
      if ok then
        datagrok.log.info("nightly-sync", "job done", {job = label, written = #res.written,
          deleted = #res.deleted, failed = #res.failed, bytes = res.bytes})
        return summary(res, seconds)
      end
      local rep = type(res) == "table" and res.report or nil
      print(label .. ": " .. summary(rep, seconds, Error.is(res) and res or {code = "ERROR"}))
      error(res, 0)
    end, {dry_run_too = true})
  end
  io.stdout:write("nightly-sync: ", #jobs, " job", #jobs == 1 and "" or "s", opts.dry_run and
    " (dry run)" or "", "\n")
  for _, job in ipairs(jobs) do
    io.stdout:write(("  %s: %s%s -> %s (max-delete %s%s)\n"):format(job.name, job.connector,
      job.remote:sub(1, 1) == "/" and job.remote or "/" .. job.remote, job.dir,
      tostring(job.max_delete), job.ext and ", ext " .. job.ext or ""))
  end
  local rep = plan:apply()
  print(datagrok.plan.summary("nightly-sync", rep))
  return rep.code
end, ...)
