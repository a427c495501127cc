-- POST /v1/magic-links/verify with pre-issued link tokens (one per line in $TOKENS), each used
-- once: thread K of N takes every Nth line. Once a thread runs out it sends "exhausted" (a 400).
local count = 0
function setup(thread)
  count = count + 1
  thread:set("id", count)
end
function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
  tokens, i = {}, 0
  local line_number = 0
  for line in io.lines(os.getenv("TOKENS")) do
    line_number = line_number + 1
    if line_number % threads == (id - 1) then tokens[#tokens + 1] = line end
  end
end
function request()
  i = i + 1
  local token = tokens[i] or "exhausted"
  return wrk.format("POST", "/v1/magic-links/verify", {["Content-Type"] = "application/json"},
                    '{"token":"' .. token .. '"}')
end
