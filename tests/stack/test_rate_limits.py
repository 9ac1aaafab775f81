"""nginx's rate limits: bursts of writes beyond the documented burst answer 429, reads never.

The limits are the README's (30 sign-ins a minute, bursts of 10; 300 API writes, bursts of 30;
6 admin logins, bursts of 5): a burst lets through no fewer and no more than they allow, so a
changed configuration fails here. The module runs its own stack: spending the limits of the
shared one would turn other modules' sign-ins and admin logins into 429s.
"""

import math
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers_security import csrf_token, form_session, own_stack
from http_client import http_session
from visitors_api import unique

# README, Hardening: per client address, {zone: (requests per second, burst)}.
LIMITS = {
    "sign_in": (30 / 60, 10),
    "api_writes": (300 / 60, 30),
    "admin_login": (6 / 60, 5),
}


@pytest.fixture(scope="module")
def limited(docker, timings):
    with own_stack(timings, "rate limits", prefix="visitors-test-ratelimit") as stack:
        yield stack


def burst(send, count, workers=16):
    """Sends `count` requests at once; returns their responses and the seconds it took."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        responses = list(pool.map(lambda _: send(), range(count)))
    return responses, time.monotonic() - started


def check_burst(zone, responses, seconds):
    rate, allowed_burst = LIMITS[zone]
    passed = [r for r in responses if r.status_code != 429]
    limited = [r for r in responses if r.status_code == 429]
    # nginx lets one request plus the burst through at once, and refills at `rate`.
    ceiling = 1 + allowed_burst + math.ceil(rate * seconds) + 1
    assert 1 + allowed_burst <= len(passed) <= ceiling, (len(passed), ceiling, seconds)
    assert limited, "no request was limited"
    for response in limited:
        assert response.headers.get("Retry-After", "").isdigit()
        assert int(response.headers["Retry-After"]) > 0
        assert response.headers["Server"] == "nginx"
        assert response.headers["X-Request-ID"] in response.text  # nginx's page shows it
    return passed, limited


def test_sign_in_burst_answers_429_pages(limited):
    session, token = form_session(limited.url("/"))

    def sign_in():
        return session.post(
            limited.url("/"),
            data={"csrfmiddlewaretoken": token, "name": unique("Burst")},
            timeout=30,
            allow_redirects=False,
        )

    _, allowed_burst = LIMITS["sign_in"]
    responses, seconds = burst(sign_in, allowed_burst + 15)
    passed, limited_responses = check_burst("sign_in", responses, seconds)
    assert {r.status_code for r in passed} == {302}
    for response in limited_responses:
        assert response.headers["Content-Type"].startswith("text/html")
        assert "Too many requests" in response.text


def test_reads_are_never_limited_even_while_writes_are(limited):
    with http_session() as session:
        statuses = [session.get(limited.url("/"), timeout=30).status_code for _ in range(100)]
        assert statuses == [200] * 100
        # Writes from the same client are still being limited meanwhile.
        token = csrf_token(session.get(limited.url("/"), timeout=30).text)
        _, allowed_burst = LIMITS["sign_in"]
        responses, _ = burst(
            lambda: session.post(
                limited.url("/"),
                data={"csrfmiddlewaretoken": token, "name": unique("Burst")},
                timeout=30,
                allow_redirects=False,
            ),
            allowed_burst + 5,
        )
        assert 429 in {r.status_code for r in responses}


def test_api_write_burst_answers_429_in_json(limited):
    token = limited.credentials()["API token"]
    with http_session() as session:

        def write():
            return session.post(
                limited.url("/api/visitors"),
                json={"name": unique("API burst")},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )

        _, allowed_burst = LIMITS["api_writes"]
        responses, seconds = burst(write, allowed_burst * 3, workers=32)
        passed, limited_responses = check_burst("api_writes", responses, seconds)
        assert {r.status_code for r in passed} == {201}
        for response in limited_responses:
            assert response.headers["Content-Type"] == "application/json"
            assert "error" in response.json()
        # Reads of the API are not limited.
        reader = {"Authorization": f"Bearer {token}"}
        url = limited.url("/api/visitors")
        reads = [session.get(url, headers=reader, timeout=30) for _ in range(50)]
        assert {r.status_code for r in reads} == {200}


def test_admin_login_burst_answers_429_pages(limited):
    session, token = form_session(limited.url("/admin/login/"))

    def guess():
        return session.post(
            limited.url("/admin/login/"),
            data={"csrfmiddlewaretoken": token, "username": "admin", "password": "guess"},
            headers={"Referer": limited.url("/admin/login/")},
            timeout=30,
            allow_redirects=False,
        )

    _, allowed_burst = LIMITS["admin_login"]
    responses, seconds = burst(guess, allowed_burst + 10)
    passed, limited_responses = check_burst("admin_login", responses, seconds)
    assert {r.status_code for r in passed} == {200}  # the form again, with its error
    for response in limited_responses:
        assert response.headers["Content-Type"].startswith("text/html")
        assert "Too many requests" in response.text


def test_signing_out_from_the_page_spends_the_sign_in_limit(limited):
    session, token = form_session(limited.url("/"))

    def post(path):
        data = {"csrfmiddlewaretoken": token, "name": unique("Burst")}
        return session.post(limited.url(path), data=data, timeout=30, allow_redirects=False)

    _, allowed_burst = LIMITS["sign_in"]
    burst(lambda: post("/"), allowed_burst + 5)
    response = post("/visitors/1/sign-out")
    assert response.status_code == 429
    assert "Too many requests" in response.text


def test_signing_out_through_the_api_spends_the_api_write_limit(limited):
    headers = {"Authorization": f"Bearer {limited.credentials()['API token']}"}
    with http_session() as session:
        _, allowed_burst = LIMITS["api_writes"]
        burst(
            lambda: session.post(
                limited.url("/api/visitors/1/sign-out"), headers=headers, timeout=30
            ),
            allowed_burst * 3,
            workers=32,
        )
        response = session.post(
            limited.url("/api/visitors/1/sign-out"), headers=headers, timeout=30
        )
        assert response.status_code == 429
        assert response.headers["Content-Type"] == "application/json"
