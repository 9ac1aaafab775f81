-- GET the URL given to wrk, with the headers a browser sends for it.
--   BENCH_ACCEPT_ENCODING  e.g. "gzip" for static files (nginx then sends its .gz copy)
--   BENCH_TOKEN            a bearer token, for the API's reads
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local encoding = os.getenv("BENCH_ACCEPT_ENCODING")
if encoding and encoding ~= "" then
  wrk.headers["Accept-Encoding"] = encoding
end

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
