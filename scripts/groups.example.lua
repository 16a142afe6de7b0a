-- A spec for scripts/provision-groups.lua: a Lua chunk returning a table (data only:
-- it runs without os, io or require). The same shape as JSON:
--   {"groups": [{"name": "Assay team", "description": "...", "admins": ["alice"],
--                "members": ["bob", "group:Chemists"]}]}
--
-- Each group: name (required), description and friendly_name (set when they differ),
-- members and admins: user logins or group names ("user:NAME" / "group:NAME" when a
-- name is both). A name in admins is an admin even if also in members. Members that
-- the server has and the spec does not list are kept, unless --prune.
return {
  groups = {
    {name = "Assay team", description = "Plate readers and their results",
     admins = {"alice"}, members = {"bob", "group:Chemists"}},
    {name = "Reviewers", description = "Sign off on assay results",
     members = {"group:Assay team", "admin"}},
  },
}
