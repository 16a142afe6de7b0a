-- The interactive REPL, driven through a real terminal (tmux), as a person would use it.
local proc = require "proc"

local function sleep(s) os.execute("sleep " .. s) end

local Term = {}
Term.__index = Term

local function tmux(self, args)
  return proc.sh("tmux -L " .. self.socket .. " " .. args)
end

--- Starts the binary in a fresh tmux session with its own history location
-- (env: the environment words instead, e.g. "-u XDG_STATE_HOME HOME=/tmp/x").
local function start(state_dir, env, ready)
  local self = setmetatable({socket = "dgrepl" .. os.time() .. math.random(100000)}, Term)
  env = env or ("XDG_STATE_HOME=" .. proc.quote(state_dir))
  local cmd = ("env %s %s; echo EXIT=$?; sleep 30"):format(env, proc.quote(proc.bin))
  local r = tmux(self, "new-session -d -s t -x 120 -y 40 " .. proc.quote(cmd))
  assert(r.code == 0, r.stderr)
  self:wait_for(ready or "PUC-Rio\n>")
  return self
end

function Term:screen()
  return tmux(self, "capture-pane -p -t t").stdout
end

function Term:type(text)
  tmux(self, "send-keys -t t -l " .. proc.quote(text))
end

function Term:key(name)
  tmux(self, "send-keys -t t " .. name)
end

--- Waits until the screen contains `text` (plain); returns the screen.
function Term:wait_for(text, seconds)
  local deadline = os.time() + (seconds or 5)
  repeat
    local s = self:screen()
    if s:find(text, 1, true) then return s end
    sleep(0.1)
  until os.time() > deadline
  error("timed out waiting for " .. text .. " on screen:\n" .. self:screen())
end

function Term:close()
  tmux(self, "kill-server")
end

describe("the REPL in a terminal", function()
  local state_dir

  before_each(function()
    state_dir = proc.temp_dir()
  end)

  after_each(function()
    os.execute("rm -rf " .. proc.quote(state_dir))
  end)

  it("evaluates expressions, pretty-prints tables, continues lines and exits 0 on Ctrl-D", function()
    local t = start(state_dir)
    t:type("1+1"); t:key("Enter")
    t:wait_for("> 1+1\n2\n")
    t:type("{a={1,2}}"); t:key("Enter")
    t:wait_for("{\n  a = { 1, 2 },\n}")
    t:type("for i = 1, 2 do"); t:key("Enter")
    t:wait_for(">>")
    t:type("print('line' .. i)"); t:key("Enter")
    t:type("end"); t:key("Enter")
    t:wait_for("line1\nline2\n")
    t:type("error('bad')"); t:key("Enter")
    t:wait_for("datagrok: stdin:1: bad")
    t:key("C-d")
    t:wait_for("EXIT=0")
    t:close()
  end)

  it("cancels the line on Ctrl-C and keeps running", function()
    local t = start(state_dir)
    t:type("if true then"); t:key("Enter")
    t:wait_for(">>")
    t:key("C-c")
    t:type("40+2"); t:key("Enter")
    t:wait_for("\n42\n")
    -- text typed on the prompt line is dropped too, and the REPL keeps reading
    t:type("40+")
    t:key("C-c")
    t:type("1+1"); t:key("Enter")
    t:wait_for("\n2\n")
    t:key("C-c"); t:key("C-c")
    t:type("'still here'"); t:key("Enter")
    t:wait_for('"still here"')
    t:key("C-d")
    t:wait_for("EXIT=0")
    t:close()
  end)

  it("completes globals and fields with Tab", function()
    local t = start(state_dir)
    t:type("string.fo"); t:key("Tab")
    t:wait_for("> string.format")
    t:type("('%d', 7)"); t:key("Enter")
    t:wait_for('"7"')
    t:key("C-d")
    t:close()
  end)

  it("completes the module's lazily loaded names and prints help(x)", function()
    local t = start(state_dir)
    t:type("datagrok.conn"); t:key("Tab")
    t:wait_for("> datagrok.connect")
    t:key("C-u")
    t:type("datagrok.read_c"); t:key("Tab")
    t:wait_for("> datagrok.read_csv")
    t:key("C-u")
    t:type("help(datagrok.json.encode)"); t:key("Enter")
    t:wait_for("json.encode(value [, opts]) -> string\n  ")
    t:type("datagrok.json.decode"); t:key("Enter")
    t:wait_for("function json.decode(text) -> value")
    t:key("C-d")
    t:wait_for("EXIT=0")
    t:close()
  end)

  it("creates ~/.local/state/datagrok for the history when ~/.local is missing", function()
    local home = state_dir .. "/home"
    os.execute("mkdir " .. proc.quote(home))
    local env = "-u XDG_STATE_HOME HOME=" .. proc.quote(home)
    local t = start(state_dir, env)
    t:type("y_marker = 777"); t:key("Enter")
    t:key("C-d")
    t:wait_for("EXIT=0")
    t:close()
    local f = assert(io.open(home .. "/.local/state/datagrok/history"))
    assert.matches("y_marker", f:read("a"), 1, true)
    f:close()
    t = start(state_dir, env)
    t:key("Up")
    t:wait_for("> y_marker = 777")
    t:key("C-u"); t:key("C-d")
    t:close()
  end)

  it("says once why the history cannot be saved", function()
    local file = state_dir .. "/not-a-dir"
    assert(io.open(file, "w")):close()
    local t = start(state_dir, "XDG_STATE_HOME=" .. proc.quote(file), "Not a directory\n>")
    local screen = t:screen()
    assert.matches("history not saved: cannot create " .. file .. "/datagrok: Not a directory", screen, 1, true)
    t:type("1+1"); t:key("Enter")
    t:wait_for("\n2\n")
    t:type("2+2"); t:key("Enter")
    screen = t:wait_for("\n4\n")
    local _, count = screen:gsub("history not saved", "")
    assert.equal(1, count)
    t:key("C-d")
    t:close()
  end)

  it("keeps history across restarts in a 0600 file, without secret-looking lines", function()
    local t = start(state_dir)
    t:type("x_marker = 12345"); t:key("Enter")
    t:type("api_key = 'should-not-be-saved'"); t:key("Enter")
    t:key("C-d")
    t:wait_for("EXIT=0")
    t:close()
    local path = state_dir .. "/datagrok/history"
    local p = io.popen("stat -c %a " .. proc.quote(path))
    assert.are.equal("600", p:read("l"))
    p:close()
    local f = assert(io.open(path))
    local text = f:read("a")
    f:close()
    assert.is_nil(text:find("should-not-be-saved", 1, true))
    t = start(state_dir)
    t:key("Up")
    t:wait_for("> x_marker = 12345")
    t:key("C-u"); t:key("C-d")
    t:close()
  end)

  -- docs/safety.md, promise 14: a key a client used leaves no line in the history,
  -- however the call was spelled and whether it was typed before the client was made
  it("drops every line holding a key a client of the session used, however it was spelled", function()
    local t = start(state_dir)
    local lines = {
      "k1 = 'kq7Zc41vX'",                                   -- a key held in a variable first ...
      "c1 = datagrok.new(k1, 'http://127.0.0.1:9')",        -- ... used on the next line
      "c2 = datagrok['new']('kq7Zc42vX', 'http://127.0.0.1:9')",
      "local mk = datagrok.new; c3 = mk('kq7Zc43vX', 'http://127.0.0.1:9')",
      "c4 = datagrok.new 'kq7Zc44vX'",                      -- a string call: raises, but used no key
      "k5 = 'kq7Zc45vX'..''",
      "c5 = datagrok.connect{url = 'http://127.0.0.1:9', api_key = k5}",
      "x_marker = 777",
    }
    for _, l in ipairs(lines) do
      t:type(l); t:key("Enter")
    end
    t:type("'done'"); t:key("Enter")
    t:wait_for('"done"')
    t:key("C-d")
    t:wait_for("EXIT=0")
    t:close()
    local f = assert(io.open(state_dir .. "/datagrok/history"))
    local text = f:read("a")
    f:close()
    for i = 1, 5 do
      assert.is_nil(text:find("kq7Zc4" .. i .. "vX", 1, true), "key " .. i .. " in the history:\n" .. text)
    end
    assert.truthy(text:find("x_marker\\040=\\040777", 1, true) or text:find("x_marker = 777", 1, true), text)
  end)
end)
