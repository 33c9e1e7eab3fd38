-- wrk script of the benchmark: sends the signed-in session cookie and prints one
-- line of JSON that bench/load.py reads. The cookie comes from the environment,
-- so it never shows in the process list.
local cookie = os.getenv("BENCH_COOKIE")
assert(cookie and #cookie > 0, "BENCH_COOKIE is not set")
wrk.headers["Cookie"] = cookie

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
