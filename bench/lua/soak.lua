-- The soak's traffic: mostly page views, some API reads and API writes, every answer 2xx.
-- bench/run accepts 200 and 201 here, and nothing else. Visitors come and go, as at a front
-- desk: a write signs a visitor in, unless this thread has STAY of its visitors in the building
-- already; then the one who came first signs out. So the roll call on the page keeps its size
-- instead of growing by every sign-in of the soak.
--   BENCH_TOKEN  the API token
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local STAY = 8

local mix = {}
local i = 0
local present = {}  -- ids of this thread's visitors in the building, first come first
local sign_in, host

-- Called by common.lua's init(), once per thread: wrk.format only knows the Host header there.
function prepare()
  host = wrk.headers["Host"]
  local page = wrk.format("GET", "/")
  local api_read = wrk.format("GET", "/api/visitors", {
    ["Host"] = wrk.headers["Host"],
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  })
  sign_in = wrk.format("POST", "/api/visitors", {
    ["Host"] = wrk.headers["Host"],
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }, '{"name": "Bench soak", "company": "wrk", "message": "soak"}')
  -- 8 page views, 1 API read, 1 API write in every 10 requests.
  mix = {page, page, page, api_read, page, page, "write", page, page, page}
end

local function write()
  if #present < STAY then
    return sign_in
  end
  return wrk.format("POST", "/api/visitors/" .. table.remove(present, 1) .. "/sign-out", {
    ["Host"] = host,
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  })
end

function request()
  i = i % #mix + 1
  return mix[i] == "write" and write() or mix[i]
end

local count = response  -- common.lua's: every status is counted

function response(status, headers, body)
  count(status, headers, body)
  if status == 201 then
    table.insert(present, body:match('"id": (%d+)'))
  end
end
