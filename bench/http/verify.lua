-- wrk script: POST /v1/verify, every request with another pre-generated
-- code, the terminal keys taken in turn.
--   wrk ... -s verify.lua URL -- CODES_FILE KEYS_FILE THREADS
-- A code is counted good when the answer is 200 with "valid":true. A thread
-- that runs out of codes sends its last one again (answered "replayed",
-- counted bad) and counts it in `exhausted`: the round is then void.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local codes, keys, i = {}, {}, 0

function init(args)
  local count = tonumber(args[3])
  codes = my_lines(args[1], id, count)
  keys = my_lines(args[2], 0, 1)
  math.randomseed(id + 1)
end

function request()
  i = i + 1
  local code = line_at(codes, i)
  return wrk.format("POST", "/v1/verify", {
    ["Authorization"] = "Bearer " .. keys[i % #keys + 1],
    ["Content-Type"] = "application/json",
  }, '{"code":"' .. code .. '"}')
end

function response(status, headers, body)
  if status == 200 and body:find('"valid":true', 1, true) then
    good = good + 1
  else
    bad = bad + 1
  end
end
