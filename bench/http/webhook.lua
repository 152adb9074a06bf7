-- wrk script: POST signed webhooks to a receiver (citycode outbox receiver),
-- each with its own webhook-id, from a file citycode_outbox_bench sign
-- wrote ("id<TAB>timestamp<TAB>signature<TAB>body" a line).
--   wrk ... -s webhook.lua URL -- FILE THREADS
-- A webhook is counted good when the answer is 204 (stored).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local lines, i = {}, 0

function init(args)
  lines = my_lines(args[1], id, tonumber(args[2]))
end

function request()
  i = i + 1
  local id, timestamp, signature, body = line_at(lines, i):match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  return wrk.format("POST", "/guests", {
    ["Content-Type"] = "application/json",
    ["webhook-id"] = id,
    ["webhook-timestamp"] = timestamp,
    ["webhook-signature"] = signature,
  }, body)
end

function response(status, headers, body)
  if status == 204 then
    good = good + 1
  else
    bad = bad + 1
  end
end
