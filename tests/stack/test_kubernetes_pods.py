"""The Kubernetes single-node overlay runs as real pods: `podman kube play` of what
`kubectl kustomize deploy/kubernetes/overlays/single-node` renders, with the images built
here and only the changes podman_kube.for_podman explains.

What podman cannot show (Services, NetworkPolicy, HPA, PDB, readiness gating, rolling
updates, Pod Security admission, StatefulSets, the operator) is left to a real cluster:
.github/workflows/kubernetes.yml.
"""

import json
import os
import shutil
import subprocess
import time

import pytest
from missing_tools import unavailable
from podman_kube import (
    PODMAN,
    POSTGRES_IMAGE,
    container_name,
    down,
    for_podman,
    kubectl,
    play,
    pod_templates,
    podman,
    prepare_host_folders,
    render,
    unexpected_kinds,
)
from site_checks import CHECKS, Site

from hosttools.compose_project import REPO, UP_TIMEOUT, ComposeProject, free_port
from hosttools.waiting import wait_until

VERSION = "test"
IMAGES = (f"visitors-app:{VERSION}", f"visitors-web:{VERSION}", POSTGRES_IMAGE)
# The migration Job: its name ends with the overlay's release.
MIGRATION_PREFIX = "visitors-migrate-"
# From `kube play` to a page through nginx: the database's first start, the migration job
# and gunicorn's start, on a 2-core machine.
START_TIMEOUT = 180


def checkout_with_secrets(folder):
    """The deployment files in `folder` with their secrets written, as a user's checkout is
    after deploy/kubernetes/make-secrets (which writes into the checkout it runs from)."""
    for part in ("deploy/kubernetes", "deploy/database"):
        shutil.copytree(REPO / part, folder / part, ignore=shutil.ignore_patterns("secrets"))
    shutil.copy2(REPO / "deploy/make_secrets.py", folder / "deploy/make_secrets.py")
    subprocess.run(
        [folder / "deploy/kubernetes/make-secrets"], capture_output=True, check=True, timeout=60
    )
    return folder


class Pods:
    """The played overlay: its documents, the site through the pod's nginx, its secrets."""

    def __init__(self, checkout, documents):
        self.documents = documents
        self.secrets = checkout / "deploy/kubernetes/base/secrets"
        self.port = next(
            port["hostPort"]
            for _, spec in pod_templates(documents)
            for container in spec["containers"]
            for port in container.get("ports", [])
            if "hostPort" in port
        )
        self.site = Site(f"http://127.0.0.1:{self.port}", self.secret("api_token"))

    def secret(self, name):
        return (self.secrets / name).read_text()

    def wait_until_serving(self, started, timeout=START_TIMEOUT):
        """Waits for /health through nginx; returns the seconds since `started`."""
        remaining = timeout - (time.monotonic() - started)
        wait_until(lambda: health_is_ok(self.site), remaining, "/health through the pod's nginx")
        return time.monotonic() - started


def health_is_ok(site):
    return site.get("/health").json() == {"status": "ok", "database": "ok"}


def container_state(name):
    output = podman("inspect", "--format", "json", name).stdout
    return json.loads(output)[0]["State"]


@pytest.fixture(scope="module")
def pods(docker, timings, tmp_path_factory):
    if not PODMAN.exists():
        if os.environ.get("GITHUB_ACTIONS") == "true":
            # GitHub's runners have a real cluster instead: .github/workflows/kubernetes.yml.
            pytest.skip(f"{PODMAN} exists only on the project's own CI machines")
        unavailable(f"{PODMAN} is missing (the project's CI machines have it beside the clone)")
    if kubectl() is None:
        unavailable("kubectl is missing (it renders the Kustomize overlays)")
    checkout = checkout_with_secrets(tmp_path_factory.mktemp("kubernetes"))
    rendered = render(checkout)
    played, host_folders = for_podman(rendered, VERSION, free_port())
    started = time.monotonic()
    ComposeProject(prefix="visitors-test-kube").run("build", "--quiet", timeout=UP_TIMEOUT)
    # A podman left over from an interrupted run would keep volumes made with other secrets.
    podman("--reset")
    try:
        podman("--load", *IMAGES)
        timings["kubernetes pods: build, start podman and load the images"] = (
            time.monotonic() - started
        )
        prepare_host_folders(host_folders, POSTGRES_IMAGE)
        pods = Pods(checkout, played)
        started = time.monotonic()
        play(played)
        seconds = pods.wait_until_serving(started)
        timings["kubernetes pods: kube play -> /health 200 through nginx"] = seconds
        yield pods
    finally:
        try:
            down(played)
        finally:
            podman("--reset")


def test_every_rendered_kind_is_run_or_known_to_be_skipped(pods):
    # Podman skips what it does not run without a word (kube play still exits 0).
    assert unexpected_kinds(pods.documents) == []
    assert {"Deployment", "Job", "Secret", "ConfigMap"} <= {d["kind"] for d in pods.documents}


def test_the_release_migration_job_completes(pods):
    (migration,) = [
        document
        for document in pods.documents
        if document["kind"] == "Job" and document["metadata"]["name"].startswith(MIGRATION_PREFIX)
    ]
    job = container_name(migration, "migrate")

    def finished():
        state = container_state(job)
        return state["Status"] == "exited" and state

    assert wait_until(finished, 60, "the migration job to finish")["ExitCode"] == 0


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_site_answers_through_the_pods_nginx(pods, check):
    check(pods.site)


def test_every_exec_probe_passes(pods):
    probes = []
    for workload, spec in pod_templates(pods.documents):
        for container in spec["containers"]:
            name = container_name(workload, container["name"])
            for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                if kind in container:
                    probes.append((name, kind, container[kind]["exec"]["command"]))
    assert len(probes) >= 6, probes  # web: 2, app: 3, postgres: 3

    def outcome(name, kind, command):
        # Liveness is podman's healthcheck (run on demand here); readiness and startup probes
        # podman ignores, so their commands run as the kubelet would run them.
        if kind == "livenessProbe":
            return podman("healthcheck", "run", name, check=False)
        return podman("exec", name, *command, check=False)

    for name, kind, command in probes:
        wait_until(
            lambda: outcome(name, kind, command).returncode == 0,  # noqa: B023 - called at once
            30,
            f"{kind} of {name} ({' '.join(command)})",
            interval=1,
        )


def test_nginx_reads_the_trusted_proxies_from_the_config_map(pods):
    # The ConfigMap is mounted with subPath over one file of the image's nginx folder.
    web = container_name({"metadata": {"name": "visitors"}}, "web")
    configuration = podman("exec", web, "nginx", "-T").stdout
    assert "set_real_ip_from 10.0.0.0/8;" in configuration
    assert "Narrow this to your pod network's range" in configuration


def test_containers_run_as_the_manifests_users(pods):
    for workload, spec in pod_templates(pods.documents):
        for container in spec["containers"]:
            name = container_name(workload, container["name"])
            if workload["kind"] == "Job":
                continue  # exited
            uid = (container.get("securityContext", {}).get("runAsUser")
                   or spec["securityContext"]["runAsUser"])  # fmt: skip
            user = podman("inspect", "--format", "{{.Config.User}}", name).stdout.strip()
            assert user.split(":")[0] == str(uid), (name, user)


def test_a_visitor_survives_kube_down_and_play(pods, timings):
    created = pods.site.write_visitor("Kept across kube down")
    assert created.status_code == 201, created.text
    visitor = created.json()

    down(pods.documents)
    started = time.monotonic()
    play(pods.documents)
    timings["kubernetes pods: kube down, kube play -> /health 200"] = pods.wait_until_serving(
        started
    )

    fetched = pods.site.get(f"/api/visitors/{visitor['id']}", pods.site.token)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == visitor
