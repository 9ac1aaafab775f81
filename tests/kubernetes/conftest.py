"""Renders every overlay of deploy/kubernetes once per run, the way a user deploys it.

As in the README: the secrets script first (it writes the git-ignored files the
secretGenerator reads, each only if missing), then `kubectl kustomize` with the kubectl that
tests/kubernetes/check installs into this venv (pinned, so every machine renders alike).
Tests that take the `overlay` fixture run once per overlay.
"""

import functools
import subprocess

import pytest
import yaml

from hosttools.compose_project import REPO as REPOSITORY
from hosttools.kustomize import KUBECTL, KustomizeError, kustomize

KUSTOMIZE_ROOT = REPOSITORY / "deploy" / "kubernetes"
MAKE_SECRETS = KUSTOMIZE_ROOT / "make-secrets"


def overlay_names():
    """Every overlay a user can deploy: each folder with a kustomization under overlays/."""
    return sorted(path.parent.name for path in KUSTOMIZE_ROOT.glob("overlays/*/kustomization.yaml"))


def pytest_generate_tests(metafunc):
    """Every overlay, unless the test names its own (@pytest.mark.parametrize)."""
    if "overlay" in metafunc.fixturenames and not metafunc.definition.get_closest_marker(
        "parametrize"
    ):
        metafunc.parametrize("overlay", overlay_names())


@functools.cache
def make_secrets():
    if not MAKE_SECRETS.exists():
        pytest.fail(f"{MAKE_SECRETS.relative_to(REPOSITORY)} is missing: it writes the secrets")
    subprocess.run([MAKE_SECRETS], check=True, capture_output=True, text=True)


@functools.cache
def render(overlay):
    """The overlay's manifests as `kubectl kustomize` prints them (one YAML stream)."""
    if not KUBECTL.exists():
        pytest.fail(f"{KUBECTL} is missing: tests/kubernetes/check installs it")
    make_secrets()
    try:
        return kustomize(KUSTOMIZE_ROOT / "overlays" / overlay)
    except KustomizeError as error:
        pytest.fail(f"overlays/{overlay}: {error}")


@pytest.fixture
def rendered(overlay):
    return render(overlay)


@pytest.fixture
def documents(rendered):
    return [document for document in yaml.safe_load_all(rendered) if document]


def assert_no_problems(overlay, problems):
    """Fails listing every problem found, so one run shows all there is to fix."""
    assert not problems, f"overlays/{overlay}:\n  " + "\n  ".join(problems)
