-- Shared by every benchmark script (loaded with dofile; BENCH_LUA_DIR names this directory).
-- wrk itself counts only statuses >= 400 as errors; this counts every status, so bench/run can
-- fail on anything but the expected one (a 3xx included). When the run ends it prints one
-- machine-readable line: requests, latency percentiles, socket errors and the status counts.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)  -- 1, 2, ...: lets a script vary its requests per thread
end

function init(args)
  statuses = {}
  if prepare then
    prepare()  -- a script's own per-thread set-up
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, status .. "=" .. n)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d "
      .. "connect=%d read=%d write=%d timeout=%d statuses=%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
