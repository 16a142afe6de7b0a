--- Test helper: asserts that a call raises a datagrok.Error with a given code.
-- local raises = require "raises"
-- local err = raises("PROTOCOL", dg.get_group, dg, "some-id")   -- code nil: any code
local assert = require "luassert"
local Error = require "datagrok.error"

return function(code, fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected " .. (code and ("a " .. code) or "an") .. " error")
  assert.is_true(Error.is(err), tostring(err))
  if code then assert.are.equal(code, err.code, tostring(err)) end
  return err
end
