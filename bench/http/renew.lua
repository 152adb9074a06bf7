-- wrk script: POST /v1/me/devices/{device}/renew (credential issuance),
-- the riders' sessions taken in turn, with the app channel's key.
--   wrk ... -s renew.lua URL -- RENEW_FILE CHANNEL_KEY_FILE
-- RENEW_FILE has "<session token> <device id>" a line. Good: 201.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local riders, channel_key, i = {}, "", 0

function init(args)
  for _, line in ipairs(my_lines(args[1], 0, 1)) do
    local token, device = line:match("^(%S+) (%S+)$")
    riders[#riders + 1] = { token = token, path = "/v1/me/devices/" .. device .. "/renew" }
  end
  channel_key = my_lines(args[2], 0, 1)[1]
  i = id * 7919  -- threads start at different riders
end

function request()
  i = i + 1
  local rider = riders[i % #riders + 1]
  return wrk.format("POST", rider.path, {
    ["Authorization"] = "Bearer " .. rider.token,
    ["X-Channel-Key"] = channel_key,
  })
end

function response(status, headers, body)
  if status == 201 then good = good + 1 else bad = bad + 1 end
end
