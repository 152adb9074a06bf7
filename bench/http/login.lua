-- wrk script: a flood of wrong-password logins, POST /v1/sessions, each
-- connection its own phone. An answer is good when the server refused it
-- (401 wrong password, 429 busy or backing off): the flood only has to
-- keep the server busy; scripts/bench-http measures the verifies beside it.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local body

function init(args)
  body = string.format('{"phone":"139%08d","password":"wrong horse %d"}', 10000000 + id, id)
end

function request()
  return wrk.format("POST", "/v1/sessions", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 401 or status == 429 then
    good = good + 1
  else
    bad = bad + 1
  end
end
