-- bench/paced.lua: makes each wrk connection wait DELAY ms before each
-- request, so the load is a steady rate below every contender's capacity
-- (about connections / (DELAY + latency) requests a second) and latency
-- can be compared at the same load. wrk leaves the wait out of the latency.
--   wrk -t 2 -c 8 -d 3s --latency -s bench/paced.lua URL -- DELAY
local wait_ms = 2

function init(args)
  if args[1] then wait_ms = tonumber(args[1]) end
end

function delay()
  return wait_ms
end
