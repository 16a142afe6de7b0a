--- Packages and their published versions: GET /public/v1/packages/<id or name>, GET
-- /public/v1/packages[?text=<smart filter>], GET /public/v1/packages/published/<id>, GET
-- /public/v1/packages/published[?text=&packageId=].
--
-- State: `packages[id] = {id, name, friendlyName, fullName, description, category,
-- imageUrl, url, createdOn, updatedOn}`; `published[id] = {id, package = <package id>,
-- version, isCurrent, debug, packageAuthor, publishedOn, commit, createdOn, updatedOn}`.
local reply = require "datagrok.emulator.reply"
local filter = require "datagrok.emulator.filter"
local json = require "datagrok.json"

local M = {}

--- The package addressed by id or name (case-insensitive), or nil.
function M.find(state, ref)
  if state.packages[ref] then return state.packages[ref] end
  local want = ref:lower()
  for _, p in pairs(state.packages) do
    if p.name:lower() == want then return p end
  end
end

function M.wire(p)
  return { ["#type"] = "Package", id = p.id, name = p.name, shortName = p.name,
           friendlyName = p.friendlyName or p.name, fullName = p.fullName or p.name,
           description = p.description or "", category = p.category or json.null,
           imageUrl = p.imageUrl or json.null, url = p.url or json.null,
           createdOn = p.createdOn, updatedOn = p.updatedOn }
end

local function published_wire(state, v)
  local p = state.packages[v.package]
  return { ["#type"] = "PublishedPackage", id = v.id, name = p and p.name or json.null,
           friendlyName = p and (p.friendlyName or p.name) or json.null, version = v.version,
           isCurrent = v.isCurrent == true, debug = v.debug == true, packageAuthor = v.packageAuthor or json.null,
           publishedOn = v.publishedOn, commit = v.commit or json.null, packageId = v.package,
           createdOn = v.createdOn, updatedOn = v.updatedOn }
end

local PACKAGE_FIELDS = {
  id = function(p) return p.id end, name = function(p) return p.name end,
  shortname = function(p) return p.name end, friendlyname = function(p) return p.friendlyName end,
  category = function(p) return p.category end, description = function(p) return p.description end,
}

function M.register(router)
  local base = "/public/v1/packages"
  router:get(base .. "/published", function(req, state)
    local name_of = function(v) local p = state.packages[v.package]; return p and p.name end
    local fields = {
      id = function(v) return v.id end, name = name_of, shortname = name_of,
      version = function(v) return v.version end, iscurrent = function(v) return v.isCurrent == true end,
      debug = function(v) return v.debug == true end, packageid = function(v) return v.package end,
    }
    local pred = filter.compile(req.args.text, fields, { "name", "version" })
    local want = req.args.packageId
    local out = json.array()
    for _, v in ipairs(filter.select(state.published, pred, "version")) do
      if want == nil or want == "" or v.package == want then out[#out + 1] = published_wire(state, v) end
    end
    return reply.json(out)
  end)
  router:get(base .. "/published/([^/]+)", function(_, state, id)
    return reply.json(published_wire(state, state.published[id] or reply.not_found("published package", id)))
  end)
  router:get(base .. "/([^/]+)", function(_, state, ref)
    return reply.json(M.wire(M.find(state, ref) or reply.not_found("package", ref)))
  end)
  router:get(base, function(req, state)
    local pred = filter.compile(req.args.text, PACKAGE_FIELDS, { "name", "friendlyname", "description" })
    local out = json.array()
    for _, p in ipairs(filter.select(state.packages, pred, "name")) do out[#out + 1] = M.wire(p) end
    return reply.json(out)
  end)
end

return M
