-- wrk script for the fleet benchmark: scrape every target path exactly once, then stop.
--
--   wrk -t T -c C -d LIMIT --timeout 30s -s scrape_targets.lua URL -- PATHS_FILE T
--
-- PATHS_FILE holds one request path per line (/snmp?module=...&target=ADDR:PORT); T (at most
-- the number of paths) is repeated after it because wrk starts each thread right after its
-- setup(), before the next thread exists. Thread k of T
-- takes lines k, k+T, k+2T, ... delay() hands a path to a connection only while the thread
-- has unsent paths (others idle), so no target is scraped twice. When a thread has all its
-- answers it prints "FLEET-DONE <thread> <completed> <non200>" and stops; the harness, having
-- seen one such line per thread, sends SIGINT so wrk prints its summary without waiting out -d.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local paths = {}
local reserved = 0
local sent = 0
local finished = false
completed = 0  -- globals, so that done() can read them with thread:get()
non200 = 0

function init(args)
  local thread_count = tonumber(args[2])
  local index = 0
  for line in io.lines(args[1]) do
    if #line > 0 then
      if index % thread_count == thread_id then
        table.insert(paths, wrk.format("GET", line))
      end
      index = index + 1
    end
  end
end

function delay()
  if reserved < #paths then
    reserved = reserved + 1
    return 0
  end
  return 3600000  -- nothing left to send: this connection idles until the thread stops
end

function request()
  if sent >= reserved then
    -- wrk calls request() once on thread 0 before it runs, to check the request; not sent.
    return paths[1]
  end
  sent = sent + 1
  return paths[sent]
end

function response(status, headers, body)
  completed = completed + 1
  if status ~= 200 then
    non200 = non200 + 1
  end
  if completed >= #paths then
    finish()
  end
end

function finish()
  if not finished then
    finished = true
    io.write(string.format("FLEET-DONE %d %d %d\n", thread_id, completed, non200))
    io.stdout:flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local completed_all, non200_all = 0, 0
  for _, t in ipairs(threads) do
    completed_all = completed_all + (t:get("completed") or 0)
    non200_all = non200_all + (t:get("non200") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'FLEET-SUMMARY {"completed":%d,"non200":%d,"connect_errors":%d,"read_errors":%d,'
    .. '"write_errors":%d,"timeouts":%d,"latency_p50_ms":%.3f,"latency_p99_ms":%.3f}\n',
    completed_all, non200_all, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
