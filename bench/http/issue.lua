-- POST /v1/magic-links for user<N>@example.com, N cycling over BENCH_USERS addresses.
local users = tonumber(os.getenv("BENCH_USERS") or "10000")
local n = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("offset", threads * 7919)
end
function request()
  n = n + 1
  local who = "user" .. ((n + (offset or 0)) % users) .. "@example.com"
  return wrk.format("POST", "/v1/magic-links", {["Content-Type"] = "application/json"},
                    '{"identifier":"' .. who .. '"}')
end
