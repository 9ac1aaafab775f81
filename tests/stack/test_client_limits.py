"""What one client can hold of nginx, and how nginx knows who the client is.

A body trickled a byte at a time is cut off after a 5 s pause, and one client address has at
most 16 bodies in flight. The address comes from the connection, unless a proxy the operator
trusts names the client in X-Forwarded-For: then each client behind
it has limits of its own, while the same header from anyone else changes nothing.
(VISITORS_TRUSTED_PROXIES_FILE names a file of nginx's set_real_ip_from lines.)
"""

import contextlib
import secrets
import socket
import time

import pytest
from helpers_security import own_stack
from http_client import http_session
from service_logs import access_line

from hosttools.waiting import wait_until

BODY_PAUSE = 5  # seconds: nginx's client_body_timeout (README, Hardening)
BODIES_PER_CLIENT = 32  # limit_conn bodies (README, Hardening)
CLIENT = "203.0.113.7"  # documentation addresses (RFC 5737): never a real client
OTHER_CLIENT = "203.0.113.8"


def trickle(stack, declared=1000):
    """A connection that sends a POST's header and the first byte of its body, then waits.

    To a path without a rate limit of its own, so only the limits on bodies apply.
    """
    connection = socket.create_connection(("127.0.0.1", stack.port), timeout=30)
    connection.sendall(
        b"POST /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\nn" % declared
    )
    return connection


def answer(connection):
    """What the server sent before it closed the connection (b"" for nothing)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_paused_body_is_cut_off(stack):
    started = time.monotonic()
    with contextlib.closing(trickle(stack)) as connection:
        answer(connection)
    held = time.monotonic() - started
    assert BODY_PAUSE - 1 < held < BODY_PAUSE + 2, f"held {held:.1f} s"


def test_one_client_holds_a_bounded_number_of_bodies(stack):
    extra = 4
    with contextlib.ExitStack() as opened:
        bodies = [
            opened.enter_context(contextlib.closing(trickle(stack)))
            for _ in range(BODIES_PER_CLIENT + extra)
        ]
        refused = {}

        def extra_ones_refused():
            for number, body in enumerate(bodies):
                if number not in refused:
                    body.settimeout(0.05)
                    with contextlib.suppress(TimeoutError):
                        refused[number] = body.recv(65536)
            return len(refused) >= extra

        # Within the 5 s the bodies live: nginx refuses those past the limit at once.
        wait_until(extra_ones_refused, 3, f"{extra} bodies over the limit refused")
    assert len(bodies) - len(refused) <= BODIES_PER_CLIENT
    assert all(a == b"" or a.startswith(b"HTTP/1.1 429") for a in refused.values()), refused


def client_logged_for(stack, client, marker):
    """Sends a request as `client` would name itself (X-Forwarded-For) with the request id
    `marker`: the client address nginx's access log line names for it."""
    with http_session() as session:
        headers = {"X-Forwarded-For": client, "X-Request-ID": marker}
        response = session.get(stack.url("/health/live"), headers=headers, timeout=10)
    assert response.status_code == 200
    return access_line(stack, marker)["client"]


def test_a_forwarded_for_header_names_no_one_by_default(stack):
    assert client_logged_for(stack, CLIENT, f"spoofer-{secrets.token_hex(4)}") != CLIENT


@pytest.fixture(scope="module")
def proxied(docker, timings, tmp_path_factory):
    # Every address is "the proxy" here: the test's requests come through Docker's port.
    trusted = tmp_path_factory.mktemp("proxies") / "trusted-proxies.conf"
    trusted.write_text("set_real_ip_from 0.0.0.0/0;\n")
    trusted.parent.chmod(0o755)
    trusted.chmod(0o644)  # nginx (uid 65532) reads it through a bind mount
    env = {"VISITORS_TRUSTED_PROXIES_FILE": str(trusted)}
    with own_stack(timings, "trusted proxy", env=env, prefix="visitors-test-proxy") as stack:
        yield stack


def test_a_trusted_proxy_names_the_client(proxied):
    assert client_logged_for(proxied, CLIENT, f"proxied-{secrets.token_hex(4)}") == CLIENT


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(proxied):
    def admin_login(client):
        with http_session() as session:
            return session.post(
                proxied.url("/admin/login/"),
                headers={"X-Forwarded-For": client},
                data={"username": "nobody", "password": "wrong"},
                timeout=10,
            ).status_code

    statuses = [admin_login(CLIENT) for _ in range(10)]
    assert 429 in statuses, statuses
    assert admin_login(OTHER_CLIENT) != 429
