-- Shared by the wrk scripts of scripts/bench-http: per-thread ids, counting
-- of good and bad answers, and a one-line JSON summary at the end
-- ("BENCH {...}"), which scripts/bench-http reads.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

good, bad, exhausted = 0, 0, 0

-- The lines of `path` that belong to thread `id` of `count` threads.
function my_lines(path, id, count)
  local lines, n = {}, 0
  for line in io.lines(path) do
    if line ~= "" then
      if n % count == id then lines[#lines + 1] = line end
      n = n + 1
    end
  end
  return lines
end

-- Line i of `lines`; past the end the last one again, counted in
-- `exhausted` (the round is then void).
function line_at(lines, i)
  local line = lines[i]
  if line == nil then
    exhausted = exhausted + 1
    line = lines[#lines]
  end
  return line
end

-- Paced mode: PACE_MS=<mean> makes every connection wait a random whole
-- number of milliseconds, uniform in [mean/2, 3*mean/2], before each
-- request (wrk's delay() has millisecond resolution).
local pace = tonumber(os.getenv("PACE_MS") or "")
if pace and pace > 0 then
  local low, high = math.floor(pace / 2 + 0.5), math.floor(pace * 3 / 2 + 0.5)
  function delay()
    return math.random(low, high)
  end
end

function done(summary, latency, requests)
  local g, b, x = 0, 0, 0
  for _, thread in ipairs(threads) do
    g = g + (thread:get("good") or 0)
    b = b + (thread:get("bad") or 0)
    x = x + (thread:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"good":%d,"bad":%d,"exhausted":%d,' ..
    '"errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, g, b, x,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
