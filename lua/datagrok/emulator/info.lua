--- Server information: GET /public/v1/healthcheck (authenticated) and GET /info/server
-- (anonymous, as the newer Python client's test fixture probes it before it has a session).
local reply = require "datagrok.emulator.reply"
local core = require "datagrok.core"
local json = require "datagrok.json"

local M = {}

function M.register(router)
  router:get("/public/v1/healthcheck", function()
    return reply.json({ status = "ok", server = "datagrok-emulator", version = core.VERSION,
                        time = reply.now(), services = json.array() })
  end)
  router:get("/info/server", function()
    return reply.json({ Version = core.VERSION, Commit = "emulator", Server = "datagrok-emulator" })
  end, { public = true })
end

return M
