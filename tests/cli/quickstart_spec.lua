-- The README's first command runs scripts/quickstart.lua against the built-in emulator.
local proc = require "proc"

describe("scripts/quickstart.lua under --emulate", function()
  it("runs the whole workflow and exits 0", function()
    local r = proc.run({"--emulate", proc.root .. "/scripts/quickstart.lua"})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("Abs%(%-3%) = 3\n", r.stdout)
    assert.matches("demog.csv: %d+ rows x 6 columns", r.stdout)
    assert.matches("uploaded %d+ rows as [%x%-]+\n", r.stdout)
    assert.matches("dashboard [%x%-]+\n", r.stdout)
    assert.matches("shared with Group<Quickstart readers 1 member>", r.stdout)
    assert.matches("done\n$", r.stdout)
  end)
end)
