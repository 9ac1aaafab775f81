-- GET /api/visitors?q=TERM with the bearer token, going through several terms (each thread
-- starts at another), so the connections do not all ask the same question.
--   BENCH_TOKEN          the API token
--   BENCH_SEARCH_TERMS   the terms, URL-encoded, separated by spaces
--   BENCH_SEARCH_CURSOR  optional: an id past the newest visitor. Every request then adds
--                        `before=` a different id above it: the same first page of answers, but
--                        a question the app has never answered, so none comes from its cache.
--   BENCH_SEARCH_PAUSE_MS optional: each connection waits this long on average (0 to twice
--                        it) before its next search, as a person at a front desk does,
--                        instead of asking again at once.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

local terms = {}
for term in string.gmatch(os.getenv("BENCH_SEARCH_TERMS"), "%S+") do
  table.insert(terms, "/api/visitors?q=" .. term)
end
local cursor = tonumber(os.getenv("BENCH_SEARCH_CURSOR") or "")
local pause = tonumber(os.getenv("BENCH_SEARCH_PAUSE_MS") or "")
if pause then
  -- wrk waits this many ms before sending (not counted as latency). Drawn at random around the
  -- pause, so the connections drift apart as people do instead of asking in lockstep.
  function delay()
    return math.random() * 2 * pause
  end
end
local i = 0

function prepare()
  i = thread_number * 7
  -- Seeded per thread and per run, so no run repeats a cursor an earlier one left cached.
  math.randomseed(os.time() * 1000 + thread_number)
end

function request()
  i = i % #terms + 1
  local path = terms[i]
  if cursor then
    path = path .. "&before=" .. string.format("%.0f", cursor + math.random() * 2 ^ 40)
  end
  return wrk.format(nil, path)
end
