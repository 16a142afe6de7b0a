--- Test helper (unit specs, stock lua5.4): fakes of the C modules the Lua facade
-- requires, installed as package.preload entries, so that lua/datagrok/client.lua
-- and lua/datagrok/group.lua load without the datagrok binary.
--
--     local fake = require("fake_core").install()   -- fresh fakes, facade modules unloaded
--     local client = require "datagrok.client"        -- loads against the fakes
--     fake.replies.lookup_groups = { {id = "g1", name = "Chemists"} }  -- canned wire answer
--     local dg = client.new("Bearer k", "https://h/api")
--     dg:lookup_groups("Chem")
--     fake.calls[1]  --> {op = "lookup_groups", session = <fake session>, args = {"Chem", n = 1}}
--
-- Faked: datagrok.client.core (session(conf) -> a session whose every operation
-- records the call and returns fake.replies[op], or calls it when it is a function),
-- datagrok.core (VERSION, uuid4 counting up: fake.uuid(n) is the n-th one),
-- datagrok.json (null, array, is_array) and datagrok.error (Error.new, Error.is).
local M = {}

-- The session operations of the C core (src/*.c dg_<area>_methods, plus close and url).
M.OPERATIONS = {
  "approve_membership_request", "call_function", "create_dashboard", "delete_file",
  "deny_membership_request", "download_file", "download_table", "get_current_user_group",
  "get_group", "get_group_members", "get_group_membership_requests", "get_group_memberships",
  "list_files", "list_groups", "lookup_groups", "request_group_membership", "save_group",
  "share_dashboard", "sync_dir", "upload_file", "upload_table",
}

-- Modules that must load again against fresh fakes.
local FACADE = { "datagrok.client", "datagrok.group", "datagrok.wire", "datagrok.client.core", "datagrok.core",
  "datagrok.json", "datagrok.error" }

function M.uuid(n) return ("00000000-0000-4000-8000-%012d"):format(n) end

function M.install()
  local fake = { calls = {}, replies = {}, sessions = {}, uuids = 0 }

  -- datagrok.json
  local null = setmetatable({}, { __name = "datagrok.null", __tostring = function() return "null" end })
  local ARRAY = { __name = "json.array" }
  local json = {
    null = null,
    array = function(t) return setmetatable(t or {}, ARRAY) end,
    is_array = function(t) return getmetatable(t) == ARRAY end,
  }

  -- datagrok.error
  local ErrorMT = { __name = "datagrok.Error" }
  ErrorMT.__tostring = function(e) return e.code .. ": " .. e.message end
  local Error = {
    new = function(code, message) return setmetatable({ code = code, message = message }, ErrorMT) end,
    is = function(v) return getmetatable(v) == ErrorMT end,
  }

  -- datagrok.core
  local core = {
    VERSION = "0.1.0",
    scrub = function(s) return s end,
    holds_secret = function() return false end,
    uuid4 = function()
      fake.uuids = fake.uuids + 1
      return M.uuid(fake.uuids)
    end,
  }

  -- datagrok.client.core: sessions recording their calls
  local methods = {}
  local Session = { __name = "datagrok.Session", __index = methods }
  for _, op in ipairs(M.OPERATIONS) do
    methods[op] = function(self, ...)
      assert(getmetatable(self) == Session, op .. " called without a session as self")
      fake.calls[#fake.calls + 1] = { op = op, session = self, args = table.pack(...) }
      local reply = fake.replies[op]
      if type(reply) == "function" then return reply(...) end
      return reply
    end
  end
  function methods.url(self)
    if self.closed then return nil end
    return self.conf.base_url
  end
  function methods.close(self)
    fake.calls[#fake.calls + 1] = { op = "close", session = self, args = table.pack() }
    self.closed = true
  end
  local session_core = {
    note_key = function() end,
    session = function(conf)
      assert(type(conf) == "table", "session(conf): a table")
      local copy = {}
      for k, v in pairs(conf) do copy[k] = v end
      local s = setmetatable({ conf = copy }, Session)
      fake.sessions[#fake.sessions + 1] = s
      return s
    end,
  }

  for _, name in ipairs(FACADE) do package.loaded[name] = nil end
  package.preload["datagrok.json"] = function() return json end
  package.preload["datagrok.error"] = function() return Error end
  package.preload["datagrok.core"] = function() return core end
  package.preload["datagrok.client.core"] = function() return session_core end

  fake.json, fake.null, fake.Error, fake.core = json, null, Error, core

  --- The calls of one operation, in order.
  function fake.calls_of(op)
    local out = {}
    for _, c in ipairs(fake.calls) do if c.op == op then out[#out + 1] = c end end
    return out
  end

  --- The only call of op (fails when there were none or several).
  function fake.call(op)
    local list = fake.calls_of(op)
    assert(#list == 1, ("expected one call of %s, got %d"):format(op, #list))
    return list[1]
  end

  return fake
end

--- Removes the fakes (preload entries and the loaded facade).
function M.uninstall()
  for _, name in ipairs(FACADE) do
    package.loaded[name] = nil
    package.preload[name] = nil
  end
end

return M
