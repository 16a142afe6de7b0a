#!/usr/bin/env datagrok
--- provision-groups: makes the server's groups match a declarative spec
-- (scripts/groups.example.lua; a JSON or YAML file of the same shape works too).
--
--   provision-groups.lua groups.lua --dry-run     # print the plan only
--   provision-groups.lua groups.lua               # apply it
--   provision-groups.lua groups.lua --prune       # also remove members not in the spec
--
-- For each group of the spec it creates the group when missing, sets its description
-- when the spec gives one that differs, adds missing members and admins, fixes admin
-- flags, and (only with --prune) removes members the spec does not list. Members are
-- named by user login or group name; `user:NAME` and `group:NAME` say which when a
-- name is both. A member group may be one the same spec creates.
--
-- It prints the plan, then applies it one change at a time: a change that fails is
-- reported (FAILED ...) and the others still run; the run exits 6 then. A second run
-- finds nothing to do and says so. Group edits go through add_member/remove_member,
-- which never drop members the spec does not mention.
local datagrok = require "datagrok"
local config_file = datagrok.config_file
local Error = datagrok.Error

local cli = datagrok.cli{
  name = "provision-groups",
  summary = "Make the server's groups match SPEC (a Lua, JSON or YAML file: see "
    .. "scripts/groups.example.lua).",
  options = {
    {"dry-run", type = "boolean", help = "print the plan, change nothing"},
    {"prune", type = "boolean", help = "also remove members that the spec does not list"},
  },
  positional = {{"spec", required = true, help = "the spec file"}},
  common = true,
  epilog = "Exit codes: 0 the server matches the spec; 2 usage or a bad spec; 3 the key was "
    .. "refused;\n4 the server kept failing; 6 partial: some changes failed, the others were "
    .. "applied; 130 interrupted.",
}

local GROUP_FIELDS = {"name", "friendly_name", "description", "members", "admins"}

--- The spec's groups: {name=, friendly_name=, description=, members = {ref -> admin flag},
-- order = {refs in spec order}}, checked.
local function read_spec(file)
  local spec = config_file.check(config_file.read(file), {"groups"}, file)
  if type(spec.groups) ~= "table" or #spec.groups == 0 then
    error(Error.new("CONFIG", file .. ": 'groups' must be a non-empty list"), 0)
  end
  local groups, seen = {}, {}
  for i, g in ipairs(spec.groups) do
    local where = ("%s: groups[%d]"):format(file, i)
    config_file.check(g, GROUP_FIELDS, where)
    if type(g.name) ~= "string" or g.name == "" then
      error(Error.new("CONFIG", where .. ": 'name' must be a non-empty string"), 0)
    end
    for _, k in ipairs({"friendly_name", "description"}) do
      if g[k] ~= nil and type(g[k]) ~= "string" then
        error(Error.new("CONFIG", ("%s (%s): '%s' must be a string"):format(where, g.name, k)), 0)
      end
    end
    if seen[g.name] then
      error(Error.new("CONFIG", ("%s: group '%s' is listed twice"):format(where, g.name)), 0)
    end
    seen[g.name] = true
    local members, order = {}, {}
    for _, list in ipairs({{"members", false}, {"admins", true}}) do
      for _, ref in ipairs(config_file.list(g[list[1]], ("%s (%s).%s"):format(where, g.name, list[1]))) do
        if members[ref] == nil then order[#order + 1] = ref end
        members[ref] = members[ref] or list[2]   -- listed as an admin anywhere: an admin
      end
    end
    groups[i] = {name = g.name, friendly_name = g.friendly_name, description = g.description,
      members = members, order = order}
  end
  return groups
end

--- Resolves member names to groups (users' personal groups or shared groups), caching.
local function resolver(dg, created)
  local cache = {}
  return function(ref)
    if cache[ref] then return table.unpack(cache[ref]) end
    local kind, name = ref:match("^(%a+):(.+)$")
    if kind ~= "user" and kind ~= "group" then kind, name = nil, ref end
    local user = kind ~= "group" and dg:find_user_group(name) or nil
    local group = kind ~= "user" and (dg:find_group(name) or (created[name] and {pending = name})) or nil
    local res
    if user and group then
      res = {nil, ("'%s' is both a user and a group: write user:%s or group:%s"):format(name, name, name)}
    elseif user then
      res = {{group = user, label = "user " .. name, id = user.id}}
    elseif group then
      res = {{group = not group.pending and group or nil, pending = group.pending, label = "group " .. name,
        id = group.id}}
    else
      res = {nil, ("no %s named '%s'"):format(kind or "user or group", name)}
    end
    cache[ref] = res
    return table.unpack(res)
  end
end

--- A change that cannot be made as the spec says (an unknown name, a group gone meanwhile).
local function fail(msg) error(Error.new("CONFIG", msg), 0) end

local function role(admin) return admin and "admin" or "member" end

datagrok.main(function(...)
  local opts = cli:parse({...})
  local groups = read_spec(opts.spec)
  local dg <close> = datagrok.connect{profile = opts.profile, config_file = opts.config_file}
  local plan = datagrok.plan{title = "provision-groups", dry_run = opts.dry_run}

  -- the current state, read once
  local current, to_create = {}, {}
  for _, g in ipairs(groups) do
    current[g.name] = dg:find_group(g.name)
    if not current[g.name] then to_create[g.name] = true end
  end
  local resolve = resolver(dg, to_create)

  -- 1. groups to create, then fields to fix
  for _, g in ipairs(groups) do
    if to_create[g.name] then
      plan:add(("+ create group '%s'%s"):format(g.name, g.description and (" (" .. g.description .. ")") or ""),
        function()
          dg:save_group(dg:new_group{name = g.name, friendly_name = g.friendly_name or g.name,
            description = g.description})
        end)
    end
  end
  for _, g in ipairs(groups) do
    local cur = current[g.name]
    if cur then
      for _, f in ipairs({"description", "friendly_name"}) do
        if g[f] ~= nil and (cur[f] or "") ~= g[f] then
          plan:add(("~ '%s': %s '%s' -> '%s'"):format(g.name, f:gsub("_", " "), cur[f] or "", g[f]),
            function()
              local fresh = dg:find_group(g.name) or fail("group '" .. g.name .. "' is gone")
              fresh[f] = g[f]
              dg:save_group(fresh)
            end)
        end
      end
    end
  end

  -- 2. members: add, fix admin flags, prune
  for _, g in ipairs(groups) do
    local cur = current[g.name]
    local have = {}   -- member id -> {admin=, label=, group=}
    if cur then
      for _, rel in ipairs(cur.children) do
        if rel.child then
          local c = rel.child
          have[c.id] = {admin = rel.is_admin, group = c,
            label = (c.personal and "user " or "group ") .. tostring(c.name)}
        end
      end
    end
    local wanted = {}
    for _, ref in ipairs(g.order) do
      local admin = g.members[ref]
      local m, why = resolve(ref)
      if not m then
        plan:add(("! '%s': %s '%s'"):format(g.name, role(admin), ref), function()
          fail(("'%s': cannot add %s: %s"):format(g.name, ref, why))
        end, {dry_run_too = true})
      else
        if m.id then wanted[m.id] = true end
        local h = m.id and have[m.id]
        local function apply()
          local target = dg:find_group(g.name) or fail("group '" .. g.name .. "' does not exist")
          local member = m.group or dg:find_group(m.pending) or fail("group '" .. m.pending .. "' does not exist")
          target:add_member(member, admin)
        end
        if not h then
          plan:add(("+ '%s': add %s%s"):format(g.name, m.label, admin and " as admin" or ""), apply)
        elseif h.admin ~= admin then
          plan:add(("~ '%s': %s %s -> %s"):format(g.name, m.label, role(h.admin), role(admin)), apply)
        end
      end
    end
    local extra = {}
    for id, h in pairs(have) do
      if not wanted[id] then extra[#extra + 1] = h end
    end
    table.sort(extra, function(a, b) return a.label < b.label end)
    for _, h in ipairs(extra) do
      if opts.prune then
        plan:add(("- '%s': remove %s"):format(g.name, h.label), function()
          local target = dg:find_group(g.name) or fail("group '" .. g.name .. "' does not exist")
          target:remove_member(h.group)
        end)
      else
        datagrok.log.info("provision-groups", "kept a member the spec does not list (--prune removes it)",
          {group = g.name, member = h.label})
      end
    end
  end
  local rep = plan:run()
  if rep.total == 0 then
    print(("provision-groups: the server already matches %s"):format(opts.spec))
  end
  return rep.code
end, ...)
