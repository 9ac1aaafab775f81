"""The issue's targets, evaluated on one run's results. Ratios compare cases measured in the
same run over the same path (the published port), at each connection count measured."""

from benchlib.search import PAUSE_MS, VISITORS


def _rps(results, case, conns, path="published"):
    return results[path][str(conns)][case]["rps"]


def _ratio(name, results, case, base, minimum, conns_list=(16, 64)):
    rows = []
    for conns in conns_list:
        a, b = _rps(results, case, conns), _rps(results, base, conns)
        ratio = a / b if b else 0.0
        rows.append(
            {
                "target": f"{name} @ {conns} conn: >= {minimum} x",
                "measured": f"{ratio:.2f} x ({a:.0f} / {b:.0f} req/s)",
                "pass": ratio >= minimum,
            }
        )
    return rows


def evaluate(results):
    rows = []
    rows += _ratio("GET / vs floor", results, "page", "floor", 0.6)
    p99 = results["published"]["16"]["page"]["p99_ms"]
    rows.append(
        {"target": "GET / p99 @ 16 conn: <= 30 ms", "measured": f"{p99:.1f} ms", "pass": p99 <= 30}
    )
    p99 = results["published"]["16"]["search_paced"]["p99_ms"]
    rows.append(
        {
            "target": (
                f"search at {VISITORS:,} visitors, never cached, each connection every "
                f"{PAUSE_MS} ms: p99 @ 16 conn < 20 ms"
            ),
            "measured": f"{p99:.1f} ms",
            "pass": p99 < 20,
        }
    )
    rows += _ratio("GET /api/visitors vs floor", results, "api_get", "floor", 0.8)
    # Issue #12: the price of one round trip.
    rows += _ratio("one-query floor vs floor", results, "query_floor", "floor", 0.8)
    rows += _ratio("GET / vs one-query floor", results, "page", "query_floor", 0.9)
    rows += _ratio("GET /api/visitors vs one-query floor", results, "api_get", "query_floor", 0.9)
    rows += _ratio(
        "GET /api/visitors/1 vs one-query floor", results, "api_detail", "query_floor", 0.8
    )
    rows += _ratio("POST /api/visitors vs one-query floor", results, "api_post", "query_floor", 0.5)
    rows += _ratio("htmx POST / vs one-query floor", results, "htmx_post", "query_floor", 0.5)
    p99 = results["published"]["64"]["page"]["p99_ms"]
    rows.append(
        {"target": "GET / p99 @ 64 conn: <= 50 ms", "measured": f"{p99:.1f} ms", "pass": p99 <= 50}
    )
    rows += _ratio("POST /api/visitors vs floor", results, "api_post", "floor", 0.5)
    rows += _ratio("htmx POST / vs floor", results, "htmx_post", "floor", 0.5)

    for ref, label, minimum in (
        ("django_defaults", "Django defaults", 8),
        ("cookiecutter", "cookiecutter-django default", 2),
    ):
        ours = _rps(results, "page", 64)
        theirs = results["references"][ref]["64"]["page"]["rps"]
        ratio = ours / theirs if theirs else 0.0
        rows.append(
            {
                "target": f"GET / vs {label} @ 64 conn: >= {minimum} x",
                "measured": f"{ratio:.2f} x ({ours:.0f} / {theirs:.0f} req/s)",
                "pass": ratio >= minimum,
            }
        )

    for hashed, plain in (("css", "css_plain"), ("js", "js_plain")):
        headers = results["static_headers"][hashed]
        ok = "immutable" in headers["cache_control"] and headers["content_encoding"] == "gzip"
        rows.append(
            {
                "target": f"hashed {hashed.upper()}: Cache-Control immutable and gzip",
                "measured": f"{headers['cache_control']}; {headers['content_encoding'] or 'no'}"
                " encoding",
                "pass": ok,
            }
        )
        rows += _ratio(f"hashed {hashed.upper()} vs plain file", results, hashed, plain, 0.8)

    timings = results["timings"]
    for key, label in (
        ("up_fresh_s", "up to all healthy (fresh volumes)"),
        ("up_existing_s", "up to all healthy (existing volumes)"),
        ("rebuild_redeploy_s", "code-only rebuild + redeploy to healthy"),
    ):
        rows.append(
            {
                "target": f"{label}: <= 10 s",
                "measured": f"{timings[key]:.1f} s",
                "pass": timings[key] <= 10,
            }
        )

    memory = results["memory"]
    rows.append(
        {
            "target": "whole stack idle: <= 300 MiB",
            "measured": f"{memory['idle']['total']:.0f} MiB",
            "pass": memory["idle"]["total"] <= 300,
        }
    )
    peak = max(sample["total"] for sample in memory["under_load"])
    rows.append(
        {
            "target": "whole stack under load: <= 600 MiB",
            "measured": f"{peak:.0f} MiB (max)",
            "pass": peak <= 600,
        }
    )

    soak = results.get("soak")
    if soak:
        rows.append(
            {
                "target": "soak: memory grows <= 16 MiB, req/s drops <= 20 %",
                "measured": f"{soak['memory_growth_mib']:+.0f} MiB, "
                f"req/s last/first {soak['rps_ratio']:.2f}",
                "pass": soak["memory_growth_mib"] <= 16 and soak["rps_ratio"] >= 0.8,
            }
        )
    else:
        rows.append(
            {"target": "soak: no growth", "measured": "skipped (--quick or --soak 0)", "pass": None}
        )

    check = results["correctness"]
    rows.append(
        {
            "target": "visitor added after the load is on the next GET / and GET /api/visitors",
            "measured": f"POST {check['post_status']}, page {check['on_page']}, "
            f"API {check['first_in_api']}",
            "pass": check["post_status"] == 201 and check["on_page"] and check["first_in_api"],
        }
    )
    return rows
