-- POST /api/visitors: a JSON visitor with the bearer token (answer: 201 Created).
--   BENCH_TOKEN  the API token (manage.py credentials)
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "POST"
wrk.path = "/api/visitors"
wrk.body = '{"name": "Bench API", "company": "wrk", "message": "load test"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
