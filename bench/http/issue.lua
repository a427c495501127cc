-- POST /v1/magic-links for user<N>@example.com, N cycling over BENCH_USERS addresses; each of
-- wrk's threads (BENCH_THREADS, default 2) starts its own share of them, so that the links of a
-- run are for as many addresses as it made links. BENCH_FIRST (default 0) is where each thread's
-- count begins within its share.
local users = tonumber(os.getenv("BENCH_USERS") or "10000")
local share = math.floor(users / tonumber(os.getenv("BENCH_THREADS") or "2"))
local n = tonumber(os.getenv("BENCH_FIRST") or "0")  -- later runs go on to fresh addresses
local threads = 0
function setup(thread)
  thread:set("offset", threads * share)
  threads = threads + 1
end
function request()
  n = n + 1
  local who = "user" .. ((n + (offset or 0)) % users) .. "@example.com"
  return wrk.format("POST", "/v1/magic-links", {["Content-Type"] = "application/json"},
                    '{"identifier":"' .. who .. '"}')
end
