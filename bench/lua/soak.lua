-- The soak's traffic: mostly page views, some API reads and API writes, every answer 2xx.
-- bench/run accepts 200 and 201 here, and nothing else.
--   BENCH_TOKEN  the API token
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local mix = {}
local i = 0

-- Called by common.lua's init(), once per thread: wrk.format only knows the Host header there.
function prepare()
  local page = wrk.format("GET", "/")
  local api_read = wrk.format("GET", "/api/visitors", {
    ["Host"] = wrk.headers["Host"],
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  })
  local api_write = wrk.format("POST", "/api/visitors", {
    ["Host"] = wrk.headers["Host"],
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }, '{"name": "Bench soak", "company": "wrk", "message": "soak"}')
  -- 8 page views, 1 API read, 1 API write in every 10 requests.
  mix = {page, page, page, api_read, page, page, api_write, page, page, page}
end

function request()
  i = i % #mix + 1
  return mix[i]
end
