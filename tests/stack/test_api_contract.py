"""The API as a client of the published port sees it: whichever layer answers (nginx, gunicorn
or Django), every answer under /api is JSON and in the OpenAPI document.

The Django suite fuzzes the API in process; only here do nginx's and gunicorn's own answers
(their limits, methods nginx refuses itself, rate limits) meet the document. schemathesis
reads /api/openapi.json from the stack and runs every phase with every check, as
`schemathesis run URL --checks all` does by hand.
"""

import subprocess
import sys

import pytest
from helpers_security import assert_refused, own_stack

JSON = "application/json"
# A query string or header nginx lets through (under its 8 KiB large_client_header_buffers),
# and one it refuses: gunicorn must never refuse the first on its own (its default is 4 KiB).
LONG = "x" * 6000
TOO_LONG = "x" * 9000
# Fixed, so a failure can be replayed; another seed explores further.
SEED = "20261130"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/api/visitors", "GET, POST, HEAD, OPTIONS"), ("/api/visitors/1", "GET, HEAD, OPTIONS")],
    ids=["list", "detail"],
)
def test_trace_is_a_json_405_with_allow(stack, http, path, allowed):
    # nginx refuses TRACE itself, with a bare HTML 405 and no Allow header, unless the app
    # answers it.
    response = http.request("TRACE", stack.url(path), timeout=15)
    assert_refused(response, 405, JSON, None)
    assert set(response.headers["Allow"].split(", ")) == set(allowed.split(", "))


def test_trace_on_the_page_is_a_405_page_with_allow(stack, http):
    response = http.request("TRACE", stack.url("/"), timeout=15)
    assert_refused(response, 405, "text/html", "This page can only be viewed or posted to.")
    assert {"GET", "POST"} <= set(response.headers["Allow"].split(", "))


def test_what_nginx_lets_through_reaches_the_api(stack, http, api_token):
    response = http.get(
        stack.url(f"/api/visitors?limit=1&note={LONG}"),
        headers={
            "Authorization": f"Bearer {api_token}",
            "X-Note": LONG,
            **{f"X-Note-{n}": "x" for n in range(150)},
        },
        timeout=15,
    )
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == JSON


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/visitors?note=", JSON), ("/api?note=", JSON), ("/?note=", "text/html")],
    ids=["api", "api-root", "page"],
)
def test_an_address_over_nginxs_limit_is_a_414_in_the_clients_form(stack, http, path, content_type):
    response = http.get(stack.url(path + TOO_LONG), timeout=15)
    assert_refused(response, 414, content_type, "That address is too long")


@pytest.mark.parametrize(
    ("path", "content_type"), [("/api/visitors", JSON), ("/", "text/html")], ids=["api", "page"]
)
def test_a_header_over_nginxs_limit_is_a_400_in_the_clients_form(stack, http, path, content_type):
    response = http.get(stack.url(path), headers={"X-Note": TOO_LONG}, timeout=15)
    assert_refused(response, 400, content_type, "That address is too long")


def test_schemathesis_finds_nothing_through_nginx(docker, timings, tmp_path):
    # A stack of its own: the run fills the API's write rate limit, which other tests share.
    with own_stack(timings, "schemathesis") as stack:
        output = run_schemathesis(stack, stack.credentials()["API token"], tmp_path)
    assert output.returncode == 0, output.stdout[-8000:] + output.stderr[-2000:]


def run_schemathesis(stack, api_token, folder):
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", stack.url("/api/openapi.json"),
        "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--header", f"Authorization: Bearer {api_token}",
        "--seed", SEED, "--request-timeout", "15", "--no-color",
    ]  # fmt: skip
    # In a folder of its own: schemathesis keeps a cache of what it found in the current one.
    return subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=600, check=False
    )
