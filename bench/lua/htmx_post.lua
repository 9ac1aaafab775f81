-- The sign-in form as htmx posts it to / (answer: 200 with the form and the new visitor).
--   BENCH_CSRF_COOKIE  the csrftoken cookie from a GET /
--   BENCH_CSRF_TOKEN   the csrfmiddlewaretoken field of the same page
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "POST"
wrk.path = "/"
wrk.body = "name=Bench+htmx&company=wrk&message=load+test&csrfmiddlewaretoken="
  .. os.getenv("BENCH_CSRF_TOKEN")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "csrftoken=" .. os.getenv("BENCH_CSRF_COOKIE")
wrk.headers["HX-Request"] = "true"
wrk.headers["HX-Current-URL"] = "/"
