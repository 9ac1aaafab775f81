"""The Kubernetes overlays (deploy/kubernetes) as `kubectl kustomize` renders them: one way for
the offline checks (tests/kubernetes) and the pods under podman (tests/stack/podman_kube.py)."""

from hosttools.commands import run_command
from hosttools.compose_project import REPO

# The kubectl tests/kubernetes/check pins and installs, so every machine renders alike.
KUBECTL = REPO / ".venv-kubernetes" / "bin" / "kubectl"
RENDER_TIMEOUT = 60


class KustomizeError(RuntimeError):
    """kubectl kustomize failed (its message says why) or did not answer in time."""


def kustomize(overlay, kubectl=KUBECTL):
    """The overlay folder's manifests as one YAML stream."""
    command = [str(kubectl), "kustomize", str(overlay)]
    return run_command(command, KustomizeError, timeout=RENDER_TIMEOUT).stdout
