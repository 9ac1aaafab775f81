"""Only nginx is reachable from outside: no other port is published, nothing else listens."""

import ipaddress
import json
import socket

import pytest

from hosttools.compose_project import docker_cli

# Docker's embedded DNS server listens inside every container on a user-defined network.
DOCKER_DNS = ipaddress.ip_address("127.0.0.11")

# /proc/net/tcp and tcp6 inside a container: the runtime images have Python, not netstat.
READ_TCP_TABLES = (
    "import sys\n"
    "for name in ('tcp', 'tcp6'):\n"
    "    sys.stdout.write(open('/proc/net/' + name).read())\n"
)


def tcp_listeners(table):
    """The local addresses of the listening sockets in /proc/net/tcp{,6} text."""
    listeners = []
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[3] != "0A":  # 0A: TCP_LISTEN
            continue
        address, port = fields[1].split(":")
        raw = bytes.fromhex(address)
        # The kernel prints each 32-bit word of the address in host (little-endian) order.
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
        listeners.append((ipaddress.ip_address(words), int(port, 16)))
    return listeners


def test_only_web_publishes_a_port_and_only_on_loopback(stack):
    # Compose also lists exposed but unpublished ports (db's 5432), with PublishedPort 0.
    published = {
        service: [
            (p["URL"], p["TargetPort"], p["PublishedPort"])
            for p in row["Publishers"] or []
            if p["PublishedPort"]
        ]
        for service, row in stack.ps().items()
    }
    published = {service: ports for service, ports in published.items() if ports}
    assert published == {"web": [("127.0.0.1", 8080, stack.port)]}
    assert stack.run("port", "web", "8080").stdout.strip() == f"127.0.0.1:{stack.port}"


@pytest.mark.parametrize("port", [5432, 8000, 9100], ids=["postgres", "gunicorn", "metrics"])
def test_database_and_gunicorn_ports_are_not_reachable_from_the_host(stack, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
        client.settimeout(3)
        refused = client.connect_ex(("127.0.0.1", port)) != 0
    if refused:
        return
    # Something else on this machine (another stack, a local server) may own the port:
    # what matters is that none of this project's containers publishes it.
    ours = docker_cli(
        "ps",
        "--quiet",
        "--filter",
        f"label=com.docker.compose.project={stack.project}",
        "--filter",
        f"publish={port}",
    )
    assert ours.strip() == "", f"a container of {stack.project} publishes {port}"


def test_app_serves_requests_only_on_gunicorns_unix_socket(stack):
    # The one TCP port is the metrics', served by gunicorn's master to the internal network
    # (Prometheus); it is not published (above), and nginx answers /metrics with 404.
    listeners = tcp_listeners(stack.python("app", READ_TCP_TABLES))
    every_ipv4_address = ipaddress.IPv4Address(0)
    assert [(a, p) for a, p in listeners if a != DOCKER_DNS] == [(every_ipv4_address, 9100)]
    unix_sockets = stack.python(
        "app", "import sys; sys.stdout.write(open('/proc/net/unix').read())"
    )
    assert "/run/gunicorn/gunicorn.sock" in unix_sockets


def test_web_and_database_share_no_network(stack):
    networks = {service: set(row["Networks"].split(",")) for service, row in stack.ps().items()}
    front, back = f"{stack.project}_front", f"{stack.project}_back"
    assert networks == {
        "web": {front},
        "app": {back},
        "db": {back},
        "migrate": {back},
        "retention": {back},
        "secrets": {"none"},
    }


def test_database_network_has_no_route_out(stack):
    network = json.loads(docker_cli("network", "inspect", f"{stack.project}_back"))[0]
    assert network["Internal"] is True


def test_app_cannot_even_resolve_web(stack):
    # The app is on the back network only: the name "web" does not resolve there.
    code = (
        "import socket\n"
        "try:\n"
        "    socket.getaddrinfo('web', 8080)\n"
        "    print('resolved')\n"
        "except socket.gaierror:\n"
        "    print('unknown')\n"
    )
    assert stack.python("app", code).strip() == "unknown"
