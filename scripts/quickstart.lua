#!/usr/bin/env datagrok
--- A first real workflow, the official Python client's README example in Lua:
-- call a function, fetch a CSV from a file share as a DataFrame, publish it as a table,
-- build a dashboard on it and share it with a group that we provision ourselves.
-- Runs against any server: `datagrok --emulate scripts/quickstart.lua` uses the built-in
-- emulator; with DATAGROK_URL and DATAGROK_API_KEY set it talks to a real Datagrok.
local datagrok = require "datagrok"

local dg = datagrok.connect()
print("connected: " .. tostring(dg))

-- 1. Call a function
print("Abs(-3) = " .. tostring(dg:call_function("Abs", {x = -3})))

-- 2. Download a CSV from a file share: it arrives as a typed DataFrame
local demog = dg:download_file("System:DemoFiles", "demog.csv")
print(("demog.csv: %d rows x %d columns"):format(demog:nrows(), demog:ncols()))
print(demog:head(5))

-- 3. Keep the adults and publish them as a table
local adults = demog:filter(function(row) return row.age and row.age >= 18 end)
local ids = dg:upload_table("QuickstartAdults", adults)
print(("uploaded %d rows as %s"):format(adults:nrows(), ids.ID))

-- 4. Read it back by its ID: same values, same types
local back = dg:download_table(ids.ID)
assert(back:nrows() == adults:nrows(), "the table did not round-trip")

-- 5. A dashboard on the table, with a layout file
local layout = os.tmpname()
local f = assert(io.open(layout, "w"))
f:write(datagrok.json.encode({["#type"] = "ViewLayout", viewStateMap = {}}))
f:close()
local dashboard = dg:create_dashboard("Quickstart dashboard", ids.ID, layout)
os.remove(layout)
print("dashboard " .. dashboard.ID)

-- 6. Provision a group, give Alice a seat, and share the dashboard with it
local team = dg:new_group{name = "Quickstart readers", friendly_name = "Quickstart readers",
                          description = "made by scripts/quickstart.lua"}
team = dg:save_group(team)
local alice = dg:lookup_groups("alice")[1]
if alice then team:add_member(alice) end
team = dg:get_group(team.id)
dg:share_dashboard(dashboard.ID, team.name, "View")
print(("shared with %s (%d member%s)"):format(tostring(team), #team.members,
  #team.members == 1 and "" or "s"))
print("done")
