"""Which gunicorn worker holds which database connection, read from inside the app container.

The app does not say which worker answered a request, and need not: each worker has its own
pool of connections to PostgreSQL, so a query on a connection of a worker's pool is work that
worker did. The app container's /proc (read by a Python process of the same user, as the
image has no shell) gives each worker's sockets, and pg_stat_activity gives each database
session's client port and when it last ran a query.
"""

import json
from concurrent.futures import ThreadPoolExecutor

from http_client import http_session

from hosttools.waiting import wait_until

POSTGRES_PORT = 5432
WORKERS = 2  # gunicorn's workers in compose.yaml (README: 2 workers x 4 threads)
READERS = 8  # clients reading at once: one for each of gunicorn's threads

# Runs in the app container: {worker pid: [local ports of its connections to PostgreSQL]}.
WORKER_PORTS = """
import json, os, sys

port = int(sys.argv[1])

def process(pid):
    with open(f"/proc/{pid}/stat") as stat:
        parent = int(stat.read().rpartition(")")[2].split()[1])
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        program = cmdline.read().split(b"\\0")[:2]
    return parent, any(part.endswith(b"gunicorn") for part in program)

processes = {}
for name in os.listdir("/proc"):
    if name.isdigit():
        try:
            processes[int(name)] = process(name)
        except OSError:  # ended meanwhile
            pass
gunicorn = {pid for pid, (_, is_gunicorn) in processes.items() if is_gunicorn}
workers = {pid for pid in gunicorn if processes[pid][0] in gunicorn}
owner = {}
for pid in workers:
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            owner[target[8:-1]] = pid
ports = {pid: [] for pid in workers}
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    with open(table) as connections:
        for line in connections.read().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if int(remote.rpartition(":")[2], 16) == port and inode in owner:
                ports[owner[inode]].append(int(local.rpartition(":")[2], 16))
print(json.dumps(ports))
"""


def database_ports(stack):
    """{worker pid: set of the local ports of its connections to PostgreSQL}."""
    output = stack.exec("app", "python", "-c", WORKER_PORTS, str(POSTGRES_PORT))
    return {int(pid): set(ports) for pid, ports in json.loads(output).items()}


# Since PostgreSQL (re)started; or pass the database's own time of another moment.
SINCE_START = "pg_postmaster_start_time()"


def workers_queried_since(stack, since=SINCE_START, service="db"):
    """{worker pid: whether one of its connections has run a query since `since` (SQL)} on the
    database of `service`."""
    ports = database_ports(stack)
    # `since` is SQL the tests write, never outside input.
    queried = stack.psql(
        "SELECT client_port FROM pg_stat_activity"  # noqa: S608
        " WHERE datname = 'visitors' AND backend_type = 'client backend'"
        f" AND query_start >= {since}",
        service,
    )
    queried = {int(port) for port in queried.split()}
    return {pid: bool(own & queried) for pid, own in ports.items()}


def read_at_once(stack, clients=READERS):
    """GET / (which checks the database's snapshot every time) from `clients` clients at the
    same time, each on its own connection to nginx, so the requests reach gunicorn together
    and not all through one worker; returns the statuses."""

    def read(_):
        with http_session() as session:
            return session.get(stack.url("/"), timeout=10).status_code

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(read, range(clients)))


def wait_for_every_worker(stack, timeout, since=SINCE_START):
    """After a database restart: reads at once until they all answer 200 and each of the
    WORKERS workers has run a query on the restarted database (or since `since`, SQL);
    returns the workers' pids.

    A worker answers a read with a query on one of its pool's connections (the cache checks
    the database's snapshot every time), so each worker's own pool is back.
    """

    def every_worker_serves():
        statuses = read_at_once(stack)
        queried = workers_queried_since(stack, since)
        assert statuses == [200] * len(statuses), f"reads answered {statuses}"
        assert len(queried) == WORKERS, f"gunicorn workers: {sorted(queried)}"
        idle = sorted(pid for pid, done in queried.items() if not done)
        assert not idle, f"no query from workers {idle} of {sorted(queried)}"
        return sorted(queried)

    return wait_until(every_worker_serves, timeout, "a query from every gunicorn worker", 0.1)
