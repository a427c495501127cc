-- The requests of $TAIL_SCRIPT (bench/http/issue.lua's starts by default; bench/http/verify.lua
-- for redeems), and for bench/http/tail.sh: when each answer came (a monotonic clock, through
-- LuaJIT's FFI) into $TAIL_DIR/answers.<thread>, and the whole latency distribution into
-- $TAIL_DIR/percentiles when the run is done.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } tail_timespec;
int clock_gettime(int clock, tail_timespec *now);
]]
dofile(os.getenv("TAIL_SCRIPT") or "bench/http/issue.lua")

local dir = os.getenv("TAIL_DIR")
local clock = ffi.new("tail_timespec")
local script_setup, script_done = setup, done
local threads_made = 0
function setup(thread)
  if script_setup then script_setup(thread) end
  thread:set("tail_thread", threads_made)
  threads_made = threads_made + 1
end

local answers, file = {}, nil
function response(status, headers, body)
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  answers[#answers + 1] = string.format("%d%06d", tonumber(clock.tv_sec),
                                        math.floor(tonumber(clock.tv_nsec) / 1000))
  -- Written as they come, a thousand at a time: wrk calls nothing when a thread ends.
  if #answers >= 1000 then
    file = file or io.open(dir .. "/answers." .. tail_thread, "w")
    file:write(table.concat(answers, "\n"), "\n")
    file:flush()
    answers = {}
  end
end

function done(summary, latency, requests)
  if script_done then script_done(summary, latency, requests) end
  local out = io.open(dir .. "/percentiles", "w")
  for _, p in ipairs({1, 10, 25, 50, 75, 90, 95, 99, 99.9}) do
    out:write(string.format("p%s %.2f\n", p, latency:percentile(p) / 1000))
  end
  out:write(string.format("mean %.2f\nmax %.2f\n", latency.mean / 1000, latency.max / 1000))
  out:close()
end
