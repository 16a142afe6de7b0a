--- Authentication (docs/protocol.md, "Headers"): `Authorization: Bearer <key>`, the bare key, or a
-- token from `POST /users/login/dev/<key>` (answered `{isSuccess: true, token}` as the
-- real server does; sent back bare or with `Bearer`). Anything else
-- is refused with 401 and an ApiError body. Tokens are kept in the state, so they
-- survive a restart with the same key; each token's record holds mac(key, token)
-- (src/emulator/emulator_token.c), so a restart with another --key revokes every token
-- the old key issued. The key itself never appears in a response, a log line or the state.
local reply = require "datagrok.emulator.reply"
local users = require "datagrok.emulator.users"
local core = require "datagrok.core"
local token_mac = require("datagrok.emulator.token").mac

local M = {}

--- Sets req.user to the caller, or raises a 401 ApiError.
function M.authenticate(req, state)
  local auth = req.headers["authorization"]
  if not auth or auth:match("^%s*$") then
    reply.raise(401, "missing Authorization header: send 'Bearer <API key>'", 401)
  end
  local cred = auth:match("^[Bb]earer%s+(.-)%s*$") or auth:match("^%s*(.-)%s*$")
  local owner
  if cred == state.key then
    owner = users.admin(state)
  else
    local t = state.tokens[cred]
    if t and t.key_mac == token_mac(state.key, cred) then owner = state.users[t.user] end
  end
  if not owner then reply.raise(401, "invalid API key or token", 401) end
  if owner.status == "blocked" then reply.raise(403, "the user is blocked", 403) end
  req.user = owner
  return owner
end

--- Issues (and saves) a session token for the user with id `user_id`, bound to the
-- current key; returns the token. The one way tokens are made.
function M.issue_token(state, user_id)
  local token = core.uuid4():gsub("-", "") .. core.uuid4():gsub("-", "")
  state.tokens[token] = { user = user_id, createdOn = reply.now(), key_mac = token_mac(state.key, token) }
  state:save("tokens")
  return token
end

function M.register(router)
  router:post("/users/login/dev/([^/]+)", function(_, state, key)
    if key ~= state.key then reply.raise(401, "invalid developer key", 401) end
    return reply.json({ isSuccess = true, token = M.issue_token(state, users.admin(state).id) })
  end, { public = true })
end

return M
