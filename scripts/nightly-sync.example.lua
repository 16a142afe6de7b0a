-- Jobs for scripts/nightly-sync.lua --config FILE: a Lua chunk returning a table
-- (data only: it runs without os, io or require). A JSON or YAML file of the same
-- shape works too (nightly-sync.json, nightly-sync.yaml).
return {
  max_delete = "20%",      -- the delete cap of every job (default 50%); --max-delete overrides
  -- ext = "csv",          -- an extension filter for every job
  jobs = {
    {name = "reports", connector = "System:DemoFiles", remote = "/", dir = "/srv/datagrok/demo",
     ext = "csv"},
    {name = "chem", connector = "System:DemoFiles", remote = "/chem", dir = "/srv/datagrok/chem",
     max_delete = 10, recursive = true},
  },
}
