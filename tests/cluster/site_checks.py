"""Black-box checks of a deployed Visitors site, for the GitHub workflow's real cluster.

Standard library only, so the runner's own Python runs it. The API token comes from the
VISITORS_API_TOKEN environment variable. Exit status 0 when every check holds; each failure
is printed.

    site_checks.py serves URL            the page, health and the API; writes one visitor
                                         and prints its id
    site_checks.py writes-within URL S   writes succeed again within S seconds (after a
                                         failover): prints its id, and how long it took
                                         on standard error
    site_checks.py kept URL ID...        the visitors with these ids are all still there
"""

import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request

TIMEOUT = 10
# Straight to the site: never through a proxy the environment may name.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def request(method, url, body=None, token=None):
    """(status, content type, text) of one request; an HTTP error status is an answer too."""
    headers = {"Accept": "application/json, text/html"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    # main() accepts only an http(s) URL of the site, hence the noqa.
    call = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with OPENER.open(call, timeout=TIMEOUT) as answer:
            return answer.status, answer.headers.get_content_type(), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read().decode()


def write_visitor(url, token):
    name = f"Cluster check {secrets.token_hex(3)}"
    status, kind, text = request("POST", f"{url}/api/visitors", {"name": name}, token)
    return status, (json.loads(text) if kind == "application/json" else text)


def serves(url, token):
    failures = []

    def expect(what, got, wanted):
        if got != wanted:
            failures.append(f"{what}: {got!r}, expected {wanted!r}")

    status, kind, text = request("GET", f"{url}/")
    expect("GET / status", status, 200)
    expect("GET / type", kind, "text/html")
    for path in ("/health", "/health/live"):
        expect(f"GET {path} status", request("GET", f"{url}{path}")[0], 200)
    expect("GET /api/visitors without a token", request("GET", f"{url}/api/visitors")[0], 401)
    status, visitor = write_visitor(url, token)
    expect("POST /api/visitors status", status, 201)
    if status == 201:
        status, _, text = request("GET", f"{url}/api/visitors/{visitor['id']}", token=token)
        expect("the visitor written, read back", (status, json.loads(text)), (200, visitor))
        status, _, text = request("GET", f"{url}/")
        expect("the visitor on the page", visitor["name"] in text, True)
        print(visitor["id"])
    return failures


def writes_within(url, token, seconds):
    started = time.monotonic()
    deadline = started + float(seconds)
    answers = []
    while time.monotonic() < deadline:
        try:
            status, visitor = write_visitor(url, token)
        except OSError as error:
            status, visitor = None, str(error)
        answers.append(status)
        if status == 201:
            took = time.monotonic() - started
            message = f"a write succeeded after {took:.1f} s ({len(answers)} tries: {answers})"
            print(message, file=sys.stderr)
            print(visitor["id"])
            return []
        time.sleep(0.5)
    return [f"no write succeeded within {seconds} s: {answers}"]


def kept(url, token, *ids):
    failures = []
    for visitor_id in ids:
        status = request("GET", f"{url}/api/visitors/{visitor_id}", token=token)[0]
        if status != 200:
            failures.append(f"visitor {visitor_id}: {status}, expected 200")
    return failures


COMMANDS = {"serves": serves, "writes-within": writes_within, "kept": kept}


def main(command, *args):
    url, *rest = args
    if not url.startswith(("http://", "https://")):
        sys.exit(f"site_checks.py: {url!r} is not an http(s) URL")
    failures = COMMANDS[command](url.rstrip("/"), os.environ["VISITORS_API_TOKEN"], *rest)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
