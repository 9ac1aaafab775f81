"""What is measured: the cases, and what they need from the running stack (static URLs,
a CSRF cookie and token, the API token)."""

import json
import re
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

HASHED = re.compile(r"\.[0-9a-f]{12}(\.[a-z0-9]+)$")


@dataclass
class Case:
    key: str
    label: str
    path: str
    script: str = "get.lua"
    expect: tuple = (200,)
    env: dict = field(default_factory=dict)
    # It signs visitors in (company "wrk"): they leave after each run, as a front desk's do.
    signs_in: bool = False


def fetch(url, headers=None, data=None, method=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.headers, answer.read()


def discover(base_url):
    """The page's hashed CSS and JS URLs, and a CSRF cookie with the page's token."""
    _, headers, body = fetch(base_url + "/")
    html = body.decode()
    css = re.search(r'<link[^>]+href="(/static/[^"]+\.css)"', html)
    js = re.search(r'<script[^>]+src="(/static/[^"]+\.js)"', html)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    cookie = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        cookie.load(value)
    if not (css and js and token and "csrftoken" in cookie):
        raise RuntimeError("GET / lacks the stylesheet, the script or the CSRF token/cookie")
    return {
        "css": css[1],
        "js": js[1],
        "csrf_token": token[1],
        "csrf_cookie": cookie["csrftoken"].value,
    }


def plain_copy(hashed_path):
    """collectstatic keeps the unhashed original next to the hashed copy: same bytes."""
    return HASHED.sub(r"\1", hashed_path)


def static_headers(base_url, path):
    _, headers, _ = fetch(base_url + path, {"Accept-Encoding": "gzip"})
    return {
        "cache_control": headers.get("Cache-Control", ""),
        "content_encoding": headers.get("Content-Encoding", ""),
        "content_length": int(headers.get("Content-Length") or 0),
    }


def build(found, token):
    gzip = {"BENCH_ACCEPT_ENCODING": "gzip"}
    return [
        Case("floor", "GET /health/live (framework floor)", "/health/live"),
        # One database round trip through Django, its cursor and the pool: the least any read
        # costs, since every read checks the database's snapshot (visitors/freshness.py).
        Case("query_floor", "GET /health (one-query floor: SELECT 1)", "/health"),
        Case("page", "GET /", "/"),
        Case(
            "api_get",
            "GET /api/visitors (token)",
            "/api/visitors",
            env={"BENCH_TOKEN": token},
        ),
        Case(
            "api_detail",
            "GET /api/visitors/1 (token, never cached: one ORM query)",
            "/api/visitors/1",
            env={"BENCH_TOKEN": token},
        ),
        Case(
            "api_post",
            "POST /api/visitors (JSON, token)",
            "/api/visitors",
            "api_post.lua",
            (201,),
            {"BENCH_TOKEN": token},
            signs_in=True,
        ),
        Case(
            "htmx_post",
            "POST / (htmx form, CSRF)",
            "/",
            "htmx_post.lua",
            (200,),
            {"BENCH_CSRF_COOKIE": found["csrf_cookie"], "BENCH_CSRF_TOKEN": found["csrf_token"]},
            signs_in=True,
        ),
        Case("css", f"GET {found['css']} (hashed, gzip)", found["css"], env=gzip),
        Case(
            "css_plain",
            f"GET {plain_copy(found['css'])} (plain file, gzip)",
            plain_copy(found["css"]),
            env=gzip,
        ),
        Case("js", f"GET {found['js']} (hashed, gzip)", found["js"], env=gzip),
        Case(
            "js_plain",
            f"GET {plain_copy(found['js'])} (plain file, gzip)",
            plain_copy(found["js"]),
            env=gzip,
        ),
    ]


def check_new_visitor(base_url, token, name):
    """After the load: a visitor added through the API shows on the very next GET / and
    GET /api/visitors. Returns a dict of what was seen."""
    body = json.dumps({"name": name, "company": "bench", "message": "correctness"}).encode()
    status, _, answer = fetch(
        base_url + "/api/visitors",
        method="POST",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    created = json.loads(answer)
    _, _, page = fetch(base_url + "/")
    _, _, listing = fetch(base_url + "/api/visitors", headers={"Authorization": f"Bearer {token}"})
    first = json.loads(listing)["results"][0]
    return {
        "post_status": status,
        "id": created.get("id"),
        "on_page": f'id="visitor-{created.get("id")}"' in page.decode() and name in page.decode(),
        "first_in_api": first["id"] == created.get("id") and first["name"] == name,
    }
