-- wrk script: POST /v1/medical/registrations (a hospital kiosk books the
-- slot for the citizen whose code it scans), every request with another
-- pre-generated "CODE<tab>SLOT" line, the kiosk keys taken in turn.
--   wrk ... -s register.lua URL -- BOOKINGS_FILE KEYS_FILE THREADS
-- A booking is counted good when the answer is 201. A thread that runs out
-- of lines sends its last one again (refused, counted bad) and counts it in
-- `exhausted`: the round is then void.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local lines, keys, i = {}, {}, 0

function init(args)
  lines = my_lines(args[1], id, tonumber(args[3]))
  keys = my_lines(args[2], 0, 1)
  math.randomseed(id + 1)
end

function request()
  i = i + 1
  local line = line_at(lines, i)
  local code, slot = line:match("^([^\t]+)\t(.+)$")
  return wrk.format("POST", "/v1/medical/registrations", {
    ["Authorization"] = "Bearer " .. keys[i % #keys + 1],
    ["Content-Type"] = "application/json",
  }, '{"qr":"' .. code .. '","slot_id":"' .. slot .. '"}')
end

function response(status, headers, body)
  if status == 201 then
    good = good + 1
  else
    bad = bad + 1
  end
end
