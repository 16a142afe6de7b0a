--- datagrok.plan: collect the changes a run would make, print them, apply them
-- unless it is a dry run, go on past a failing item, and report.
--
--     local plan = datagrok.plan{title = "provision-groups", dry_run = opts.dry_run}
--     plan:add("+ create group Chemists", function() ... end)
--     plan:add("sync System:DemoFiles/reports -> /srv/reports", function(dry_run) ... end,
--              {dry_run_too = true})   -- runs in a dry run too, told so
--     local rep = plan:run()   -- print, apply, summary; rep.code is the exit code
--     return rep.code          -- from datagrok.main
--
-- An item's function may return a one-line result, printed after its label. When
-- it raises, the error is printed and logged (`FAILED label: CODE: message`) and
-- the next item runs; an INTERRUPTED error or a refused key (exit code 3) stops
-- the run, since every later item would fail the same way.
--
-- The report: {total=, applied=, failed= {{label=, error=, code=}}, not_run=, dry_run=,
-- code=}. code is 0 when nothing failed. Otherwise, by the plan's `codes`:
--   "partial" (the default): PARTIAL (6), the run went on past failures; but the
--     failures' own code when nothing was applied and they all share it (every item
--     hit "the server kept failing": 4), and the stopping code (3 or 130) when the
--     run stopped;
--   "worst": the highest exit code of the failed items (independent jobs, e.g. syncs:
--     a safety stop in one job makes the run exit 5).
-- Either way an error without a more specific code (exit code 1) counts as 6.
local Error = require "datagrok.error"
local log = require "datagrok.log"

local M = {}
local Plan = {}
Plan.__index = Plan
Plan.__name = "datagrok.Plan"

--- datagrok.plan{title=, dry_run=, out=, noun=, codes=} -> Plan. codes: "partial"
-- (default) or "worst", see the module comment. out: where the plan and
-- the results are written (default io.stdout); noun: what an item is called in the
-- heading (default "change": "title: 3 changes").
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("bad argument #1 to 'plan' (table expected)", 2) end
  local self = setmetatable({title = opts.title or "plan", dry_run = opts.dry_run == true,
    out = opts.out or io.stdout, noun = opts.noun or "change", items = {},
    codes = opts.codes or "partial"}, Plan)
  if self.codes ~= "partial" and self.codes ~= "worst" then
    error("bad argument #1 to 'plan' (codes must be \"partial\" or \"worst\")", 2)
  end
  return self
end

--- plan:add(label, fn [, opts]) -> plan. opts.dry_run_too: fn also runs in a dry run,
-- as fn(true) (e.g. a sync that asks the server what it would do).
function Plan:add(label, fn, opts)
  if type(label) ~= "string" then error("bad argument #1 to 'add' (string expected)", 2) end
  if type(fn) ~= "function" then error("bad argument #2 to 'add' (function expected)", 2) end
  self.items[#self.items + 1] = {label = label, fn = fn, dry_run_too = opts and opts.dry_run_too}
  return self
end

--- #plan: the number of items.
function Plan.__len(self) return #self.items end

local function write(self, s) self.out:write(s, "\n"); self.out:flush() end

--- plan:print(): the items, one per line, under a heading; or that there is nothing to do.
function Plan:print()
  if #self.items == 0 then
    write(self, ("%s: nothing to do"):format(self.title))
    return
  end
  write(self, ("%s: %d %s%s%s"):format(self.title, #self.items, self.noun, #self.items == 1 and "" or "s",
    self.dry_run and " (dry run: none is applied)" or ""))
  for _, it in ipairs(self.items) do write(self, "  " .. it.label) end
end

--- The exit code an item's error counts for.
local function item_code(err)
  local c = Error.exit_code(err)
  if c == 1 then return 6 end
  return c
end

--- plan:apply() -> report. Runs the items in order (in a dry run only those added
-- with dry_run_too), continuing past failures; see the module comment.
function Plan:apply()
  local rep = {total = #self.items, applied = 0, failed = {}, not_run = 0, dry_run = self.dry_run,
    code = 0}
  local stop
  for _, it in ipairs(self.items) do
    if stop or (self.dry_run and not it.dry_run_too) then
      rep.not_run = rep.not_run + 1
    else
      local ok, res = pcall(it.fn, self.dry_run)
      if ok then
        rep.applied = rep.applied + 1
        if type(res) == "string" and res ~= "" then write(self, it.label .. ": " .. res) end
        log.info(self.title, "applied", {item = it.label})
      else
        local code = item_code(res)
        local text = Error.is(res) and tostring(res) or tostring(res):match("^[^\n]*")
        rep.failed[#rep.failed + 1] = {label = it.label, error = res, code = code}
        write(self, ("FAILED %s: %s"):format(it.label, text))
        log.error(self.title, "failed", {item = it.label, error = text, exit = code})
        if code == 3 or code == 130 then stop = code end
      end
    end
  end
  rep.code = self:code_of(rep, stop)
  return rep
end

--- The run's exit code from its failures (see the module comment).
function Plan:code_of(rep, stop)
  if #rep.failed == 0 then return 0 end
  if stop then return stop end
  local worst, same = 0, rep.failed[1].code
  for _, f in ipairs(rep.failed) do
    if f.code > worst then worst = f.code end
    if f.code ~= same then same = nil end
  end
  if self.codes == "worst" then return worst end
  if rep.applied == 0 and same then return same end
  return 6
end

--- A one-line summary of a report.
function M.summary(title, rep)
  if rep.total == 0 then return ("%s: nothing to do"):format(title) end
  if rep.dry_run and rep.applied == 0 and #rep.failed == 0 then
    return ("%s: dry run, nothing applied"):format(title)
  end
  local s = ("%s: %s%d of %d %s, %d failed"):format(title, rep.dry_run and "dry run, " or "",
    rep.applied, rep.total, rep.dry_run and "ran" or "applied", #rep.failed)
  if rep.not_run > 0 then s = s .. (", %d not run"):format(rep.not_run) end
  return s
end

--- plan:run() -> report: print, apply, then the summary line.
function Plan:run()
  self:print()
  local rep = self:apply()
  if rep.total > 0 then write(self, M.summary(self.title, rep)) end
  return rep
end

return setmetatable(M, {__call = function(_, opts) return M.new(opts) end})
