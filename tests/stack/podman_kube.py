"""The Kubernetes single-node overlay run as real pods by `podman kube play`.

Podman 5 comes from ../shared/ci/podman (beside the clone on the project's machines): it runs
in a privileged container on the host's network, so a pod's hostPort on 127.0.0.1 is reachable
from here. What podman does with a manifest is in ../shared/ci/README.md ("Kubernetes
manifests"); the few changes a test must make to the rendered overlay are in `for_podman`,
each with its reason. Everything else is what a user applies.
"""

import copy
import shutil
from pathlib import Path

import yaml

from hosttools.commands import run_command
from hosttools.compose_project import REPO
from hosttools.kustomize import KUBECTL, kustomize

PODMAN = REPO.parent / "shared" / "ci" / "podman"
OVERLAY = "deploy/kubernetes/overlays/single-node"
POSTGRES_IMAGE = "cgr.dev/chainguard/postgres:latest"
DATABASE_SERVICE = "visitors-db-rw"
# Where podman 5.4 mounts a tmpfs of its own in every container (see for_podman).
PODMAN_TMPFS = {"/run", "/tmp", "/var/tmp"}  # noqa: S108 - paths inside containers
# Podman's machine (its container's file system) keeps the folders that stand in for them.
HOST_FOLDERS = "/var/tmp/visitors-emptydirs"  # noqa: S108 - in podman's container

# What podman runs, and what it skips silently (kube play still exits 0) that this test knows
# it cannot prove here: a kind in neither set fails the test, since podman would ignore it.
RUN_KINDS = {"Pod", "Deployment", "Job", "PersistentVolumeClaim", "ConfigMap", "Secret"}
SKIPPED_KINDS = {
    "Namespace",  # podman has no namespaces: every pod shares one network
    "Service",  # pods reach each other by name (the database: its hostname, below)
    "NetworkPolicy",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "CronJob",  # the retention job: the same image and settings as the migration Job
}

# A StatefulSet's fields that a Deployment has no place for.
STATEFUL_SET_ONLY = {"serviceName", "volumeClaimTemplates", "podManagementPolicy", "updateStrategy"}

# podman's network settings for this machine (see the file).
NETWORK_MODULE = REPO / "tests" / "stack" / "podman-network.conf"

# Bounds for podman calls: loading an image, or playing the whole overlay.
COMMAND_TIMEOUT = 300


class PodmanError(RuntimeError):
    """A podman command failed or did not answer in time."""


def podman(*args, stdin=None, check=True, timeout=COMMAND_TIMEOUT):
    """Runs `../shared/ci/podman ARGS` (podman inside its container); returns the result."""
    return run_command([str(PODMAN), *args], PodmanError, stdin=stdin, check=check, timeout=timeout)


def podman_in_network(*args, **kwargs):
    """podman ARGS with this machine's network settings: for what starts or stops pods. The
    host's / is /host in podman's container."""
    return podman("--module", f"/host{NETWORK_MODULE}", *args, **kwargs)


def play(documents):
    podman_in_network("kube", "play", "-", stdin=dump(documents))


def down(documents):
    """Stops and removes the pods, keeping the PersistentVolumeClaims' volumes."""
    podman_in_network("kube", "down", "-", stdin=dump(documents))


def container_name(workload, container):
    """The name podman gives a workload's container: <workload>-pod-<container>."""
    return f"{workload['metadata']['name']}-pod-{container}"


def kubectl():
    """The kubectl that renders the overlays: the pinned one tests/kubernetes/check installs
    (so the pods run what those checks saw), else one on PATH; None if neither is there."""
    return str(KUBECTL) if KUBECTL.exists() else shutil.which("kubectl")


def render(checkout):
    """The single-node overlay of `checkout` as `kubectl kustomize` renders it: a list of
    documents. `checkout` needs its secrets written (deploy/kubernetes/make-secrets)."""
    stream = kustomize(Path(checkout) / OVERLAY, kubectl())
    return [document for document in yaml.safe_load_all(stream) if document]


def unexpected_kinds(documents):
    """Kinds podman would skip silently without this test knowing it cannot prove them."""
    return sorted({d["kind"] for d in documents} - RUN_KINDS - SKIPPED_KINDS)


def dump(documents):
    return yaml.safe_dump_all(documents, sort_keys=False)


def pod_templates(documents):
    """Each workload's pod spec (Deployment, StatefulSet, Job), for the changes below."""
    for document in documents:
        if document["kind"] in {"Deployment", "StatefulSet", "Job"}:
            yield document, document["spec"]["template"]["spec"]


def for_podman(documents, version, port):
    """The rendered overlay with what podman needs and nothing more, and the host folders to
    prepare (prepare_host_folders): (documents, {path: uid}); the input is unchanged.

    ../shared/ci/README.md allows a test to swap the StatefulSet for a Deployment and drop
    `medium: Memory`. The rest is explained where it is made: the images' tag, nginx's port on
    127.0.0.1, the database's hostname, the order of the pods, and the emptyDirs that podman
    5.4 would cover at /run and /tmp."""
    played, host_folders = [], {}
    for document in copy.deepcopy(documents):
        if document["kind"] == "StatefulSet":
            played.extend(stateful_set_as_deployment(document))
        else:
            played.append(document)
    for workload, spec in pod_templates(played):
        for volume in spec.get("volumes", []):
            # Podman makes a Memory emptyDir a separate root-owned tmpfs in each container, so
            # web and app would not share gunicorn's socket: a plain emptyDir is shared.
            volume.get("emptyDir", {}).pop("medium", None)
        for name, owner in covered_volumes(spec).items():
            # Podman 5.4 puts a tmpfs of its own on /run, /tmp and /var/tmp of every container,
            # over any emptyDir there (addReadWriteTmpfsMounts never skips a volume), owned
            # like the image's folder: nginx (uid 65532) could not write /run/nginx.pid. Only a
            # bind mount keeps it off, so such an emptyDir becomes a folder of podman's machine
            # that `prepare_host_folders` gives the container's user, as an emptyDir would be.
            volume = next(v for v in spec["volumes"] if v["name"] == name)
            volume.pop("emptyDir")
            volume["hostPath"] = {"path": host_folder(workload, name), "type": "Directory"}
            host_folders[host_folder(workload, name)] = owner
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            # The images this test built (compose's tag `version`), not the overlay's release.
            name = container["image"].rpartition(":")[0]
            if name in {"visitors-app", "visitors-web"}:
                container["image"] = f"{name}:{version}"
            # nginx on a free port of 127.0.0.1 (the Service and Ingress a cluster would have
            # are skipped by podman), so the test reaches the pod from here.
            if container["name"] == "web":
                for container_port in container.get("ports", []):
                    container_port.update(hostPort=port, hostIP="127.0.0.1")
        if spec_is_database(workload):
            # Podman skips the Service visitors-db-rw; pods answer to their hostname instead.
            spec["hostname"] = DATABASE_SERVICE
    # Podman starts the pods one by one in the stream's order and waits for each one's init
    # containers, where Kubernetes starts them all at once: the site's wait-for-migrations
    # would wait for a database and a migration job that podman has not started yet. So the
    # database goes first, then the job (after the volumes, settings and secrets they mount).
    return sorted(played, key=play_order), host_folders


def covered_volumes(spec):
    """The emptyDirs mounted where podman puts its own tmpfs: name -> the mounting user."""
    emptydirs = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
    user = spec.get("securityContext", {}).get("runAsUser", 0)
    return {
        mount["name"]: container.get("securityContext", {}).get("runAsUser", user)
        for container in [*spec.get("initContainers", []), *spec["containers"]]
        for mount in container.get("volumeMounts", [])
        if mount["name"] in emptydirs and mount["mountPath"] in PODMAN_TMPFS
    }


def host_folder(workload, volume):
    return f"{HOST_FOLDERS}/{workload['metadata']['name']}-{volume}"


def prepare_host_folders(host_folders, image):
    """Makes each folder (path -> uid) in podman's machine, empty and owned by the uid."""
    for path, uid in host_folders.items():
        parent = str(Path(HOST_FOLDERS).parent)  # exists in podman's container
        podman(
            "run", "--rm", "--user", "0", "--network", "none", "--volume", f"{parent}:{parent}",
            "--entrypoint", "install", image, "-d", "-o", str(uid), "-g", str(uid), "-m", "0755",
            path,
        )  # fmt: skip


def play_order(document):
    if document["kind"] not in {"Deployment", "Job"}:
        return 0
    if spec_is_database(document):
        return 1
    return 2 if document["kind"] == "Job" else 3


def spec_is_database(workload):
    labels = workload["spec"]["template"]["metadata"].get("labels", {})
    return labels.get("app.kubernetes.io/component") == "database"


def stateful_set_as_deployment(stateful_set):
    """A one-replica StatefulSet as podman can run it: a Deployment with a PersistentVolumeClaim
    per claim template, named as the StatefulSet would name its first pod's (<claim>-<set>-0)."""
    name = stateful_set["metadata"]["name"]
    spec = stateful_set["spec"]
    claims = []
    volumes = spec["template"]["spec"].setdefault("volumes", [])
    for template in spec.get("volumeClaimTemplates", []):
        claim_name = f"{template['metadata']['name']}-{name}-0"
        claims.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {**template["metadata"], "name": claim_name},
                "spec": template["spec"],
            }
        )
        claim = {"claimName": claim_name}
        volumes.append({"name": template["metadata"]["name"], "persistentVolumeClaim": claim})
    deployment_spec = {key: value for key, value in spec.items() if key not in STATEFUL_SET_ONLY}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": stateful_set["metadata"],
        "spec": deployment_spec,
    }
    return [*claims, deployment]
