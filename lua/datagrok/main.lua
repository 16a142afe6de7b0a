--- datagrok.main(fn): runs a script's body and turns its outcome into the
-- documented exit code, so that a script left to cron is judged correctly.
--
--     datagrok.main(function(...) ... end, ...)
--
-- fn gets the given arguments (a script passes `...`). Outcomes:
--   * fn returns nothing, true or 0: the script goes on after main (exit 0 at its end);
--   * fn returns an integer: the process exits with it;
--   * fn returns or raises a datagrok.Error: one line `<script>: CODE: message` on
--     standard error (and in the log file when one is set) and the error's exit code
--     (see Error.exit_code); a traceback follows only for errors that are bugs (not
--     Error.expected: an unclassified Error or a Lua error), never for CONFIG, USAGE, refused
--     keys, server failures, HTTP 4xx answers, UNSAFE_SYNC, PARTIAL, LOCKED or INTERRUPTED; a USAGE Error
--     with a `hint` (datagrok.cli's) prints as `message (hint)`, as cli:parse does;
--   * fn raises anything else (a bug): the message and the traceback, exit 1.
-- Exiting closes the Lua state first, so to-be-closed variables and clients close.
local Error = require "datagrok.error"
local log = require "datagrok.log"
local core = require "datagrok.core"

--- The name errors are reported under: the script's file name, else "datagrok".
local function progname()
  local a0 = type(arg) == "table" and arg[0]
  if type(a0) == "string" and a0 ~= "" and a0 ~= "-" then return (a0:match("([^/]+)$")) end
  return "datagrok"
end

--- Writes the failure report and returns the exit code.
local function report(err, trace)
  local code = Error.exit_code(err)
  local line, out
  if Error.is(err) and err.code == "USAGE" and type(err.hint) == "string" then
    -- a command-line mistake, worded by datagrok.cli: printed as cli:parse prints it
    line = ("%s (%s)"):format(err.message, err.hint)
    out = line
  else
    if Error.is(err) then
      line = tostring(err)
    else
      line = type(err) == "string" and err or ("(error object is a %s value)"):format(type(err))
    end
    out = progname() .. ": " .. line
  end
  -- the same rule as the host's report of an unhandled error (Error.expected)
  if trace and not Error.expected(err) then out = out .. "\n" .. trace end
  io.stderr:write(core.scrub(out, true), "\n") -- no key, no terminal escape (src/base/scrub.c)
  io.stderr:flush()
  if log.file() then log.error("main", line, {exit = code}) end
  return code
end

return function(fn, ...)
  if type(fn) ~= "function" then
    error(("bad argument #1 to 'main' (function expected, got %s)"):format(type(fn)), 2)
  end
  local trace
  local res = table.pack(xpcall(fn, function(e)
    -- the traceback is only printed for bugs; taking it is cheap enough to do always
    trace = debug.traceback(nil, 2)
    return e
  end, ...))
  local code
  if not res[1] then
    code = report(res[2], trace)
  elseif Error.is(res[2]) then
    code = report(res[2], nil)
  elseif math.type(res[2]) == "integer" then
    code = res[2]
  else
    code = 0
  end
  if code ~= 0 then os.exit(code, true) end
end
