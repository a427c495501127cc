-- POST /v1/magic-links/verify with pre-issued link tokens (one per line in $TOKENS), each used
-- once: thread K of N takes every Nth line. Once a thread runs out it sends "exhausted" (a 400);
-- done() prints how many such requests went out ("exhausted=N"): when N > 0 the pool was too
-- small and the rate is a lower bound.
local count = 0
local all_threads = {}
function setup(thread)
  count = count + 1
  thread:set("id", count)
  all_threads[#all_threads + 1] = thread
end
function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
  tokens, i, exhausted = {}, 0, 0
  local line_number = 0
  for line in io.lines(os.getenv("TOKENS")) do
    line_number = line_number + 1
    if line_number % threads == (id - 1) then tokens[#tokens + 1] = line end
  end
end
function request()
  i = i + 1
  local token = tokens[i]
  if not token then
    exhausted = exhausted + 1
    token = "exhausted"
  end
  return wrk.format("POST", "/v1/magic-links/verify", {["Content-Type"] = "application/json"},
                    '{"token":"' .. token .. '"}')
end
function done(summary, latency, requests)
  local n = 0
  for _, thread in ipairs(all_threads) do n = n + (thread:get("exhausted") or 0) end
  io.write("exhausted=" .. n .. "\n")
end
