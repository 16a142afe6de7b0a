#!/usr/bin/env datagrok
--- Group provisioning from a spec: every group exists, with the members (users by
-- login, or other groups by name) and admins the spec names. Users are resolved by
-- login through dg.users, never by guessing personal-group names; existing members are
-- kept (each parent is fetched before it is edited) and nothing is saved when nothing
-- changes, so a second run prints only "noop".
--
--   datagrok provision.lua spec.json        (datagrok --emulate provision.lua: a demo spec)
--
-- spec.json: {"groups": [{"name": "Assay team", "description": "...",
--                         "members": ["alice", "group:Chemists"], "admins": ["bob"]}]}
-- Exit code 0 when everything is in place, 6 (PARTIAL) when some member could not be
-- resolved or added (the rest is applied), 1 for a spec that cannot be read.
local datagrok = require "datagrok"

local DEMO_SPEC = {groups = {
  {name = "Assay team", description = "plate readers", members = {"alice", "group:Chemists"}, admins = {"bob"}},
  {name = "Reviewers", members = {"bob"}},
}}

local function read_spec(path)
  if not path then return DEMO_SPEC end
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return datagrok.json.decode(text)
end

local dg = datagrok.connect()
local spec = read_spec(arg and arg[1])
local failures = {}

--- The member a spec entry names: "group:<name>" a group, anything else a user's login.
local function member_of(entry)
  local group_name = entry:match("^group:(.+)$")
  if group_name then return dg.groups:resolve(group_name) end
  return dg.users:get(entry) -- a User: add_member uses its personal group
end

for _, g in ipairs(spec.groups or {}) do
  local ok, found = pcall(dg.groups.resolve, dg.groups, g.name)
  local group
  if ok then
    group = found
  elseif datagrok.Error.is(found) and found.api_code == 404 then
    group = dg.groups:save(dg:new_group{name = g.name, description = g.description})
    print(("%s: created"):format(g.name))
  else
    error(found, 0)
  end
  for _, list in ipairs({{entries = g.members or {}, admin = false}, {entries = g.admins or {}, admin = true}}) do
    for _, entry in ipairs(list.entries) do
      local okm, status = pcall(function()
        local _, st = dg.groups:add_member(group, member_of(entry), list.admin)
        return st
      end)
      if okm then
        print(("%s: %s%s %s"):format(g.name, entry, list.admin and " (admin)" or "", status))
      else
        failures[#failures + 1] = ("%s: %s: %s"):format(g.name, entry, tostring(status))
        print(failures[#failures])
      end
    end
  end
end

if #failures > 0 then
  error(datagrok.Error.new("PARTIAL", ("%d member(s) could not be provisioned"):format(#failures)), 0)
end
print("done")
