"""The images as built: what they contain, who they run as, how big they are, their SBOM.

The runtime images are checked from their exported file systems (the web image has no
Python and no shell to ask), and the app image's SBOM is made offline with syft.
"""

import json
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest
from packaging.markers import Marker

from hosttools.compose_project import COMMAND_TIMEOUT, REPO, docker_cli

IMAGES = {"app": "visitors-app:test", "web": "visitors-web:test"}
RUNTIME_UID = "65532"
# Set from measurement (app 125 MB, web 41 MB on the stand-in bases) with a little headroom:
# a change that grows an image past this has to say why.
SIZE_BUDGET_MB = {"app": 140, "web": 50}

SHELLS_AND_PACKAGE_MANAGERS = re.compile(
    r"^(usr/)?(s?bin)/(sh|bash|dash|ash|zsh|busybox|apk|apt|apt-get|dpkg|rpm|yum|pip3?|uv)$"
)
BUILD_TOOLS = re.compile(r"^(usr/)?(local/)?bin/(gcc|cc|c\+\+|g\+\+|ld|make|as)(-[\d.]+)?$")
# What must never be copied in: source control, tests, caches, local environments, secrets.
NEVER_SHIPPED = re.compile(
    r"(^|/)(\.git|tests|\.pytest_cache|\.ruff_cache|\.cache|\.venv-stack|node_modules)(/|$)"
    r"|(^|/)(\.env|pyproject\.toml|requirements)(/|$)"
    r"|^run/secrets/.+"
    r"|\.(pem|key)$"
)


@pytest.fixture(scope="module")
def file_lists(stack):
    """Every path in each image's file system (the stack fixture built the images)."""
    lists = {}
    for name, image in IMAGES.items():
        container = docker_cli("create", image).strip()
        try:
            with tempfile.TemporaryFile() as archive:
                subprocess.run(
                    ["docker", "export", container],
                    stdout=archive,
                    check=True,
                    timeout=COMMAND_TIMEOUT,
                )
                archive.seek(0)
                with tarfile.open(fileobj=archive) as tar:
                    lists[name] = {member.name.rstrip("/") for member in tar.getmembers()}
        finally:
            docker_cli("rm", container)
    return lists


def inspect(image):
    return json.loads(docker_cli("image", "inspect", image))[0]


def run_in_app(code, *options):
    return docker_cli("run", "--rm", *options, IMAGES["app"], "python", "-c", code).strip()


def is_standin(image):
    """This machine's local stand-ins for the Chainguard bases (../shared/ci/README.md)."""
    return "standins.recipe" in (inspect(image)["Config"]["Labels"] or {})


@pytest.mark.parametrize("name", IMAGES)
def test_runtime_images_have_no_shell_and_no_package_manager(file_lists, name):
    found = {path for path in file_lists[name] if SHELLS_AND_PACKAGE_MANAGERS.match(path)}
    if is_standin(IMAGES[name]):
        # The Debian-built stand-in keeps dpkg (it cannot fetch anything without apt); the real
        # Chainguard image has no package manager at all.
        found.discard("usr/bin/dpkg")
    assert sorted(found) == [], f"{name} image ships {sorted(found)}"


@pytest.mark.parametrize("name", IMAGES)
def test_runtime_images_have_no_build_tools_caches_tests_or_secrets(file_lists, name):
    found = sorted(
        path
        for path in file_lists[name]
        if BUILD_TOOLS.match(path)
        or (NEVER_SHIPPED.search(path) and not path.startswith("etc/ssl/"))
    )
    assert found == [], f"{name} image ships {found[:20]}"


@pytest.mark.parametrize("name", IMAGES)
def test_images_run_as_a_non_root_user(stack, name):
    assert inspect(IMAGES[name])["Config"]["User"].split(":")[0] == RUNTIME_UID


def test_nginx_image_stops_gracefully_on_sigquit(stack):
    # Kubernetes takes the stop signal from the image (compose has its own stop_signal), and
    # on SIGTERM nginx would drop the requests it holds.
    assert inspect(IMAGES["web"])["Config"]["StopSignal"] == "SIGQUIT"


def test_app_process_runs_as_uid_65532(stack):
    assert run_in_app("import os; print(os.getuid(), os.getgid())") == "65532 65532"


def test_nothing_in_the_virtualenv_is_writable_by_the_app_user(stack):
    code = (
        "import os\n"
        "writable = [os.path.join(d, n) for d, ds, fs in os.walk('/opt/venv')"
        " for n in ds + fs + ['.'] if os.access(os.path.join(d, n), os.W_OK)]\n"
        "print(len(writable), writable[:5])"
    )
    assert run_in_app(code).startswith("0 "), "the app user can change its own dependencies"


@pytest.mark.parametrize("name", IMAGES)
def test_images_stay_within_their_size_budget(stack, name):
    size_mb = inspect(IMAGES[name])["Size"] / 1_000_000
    print(f"{IMAGES[name]}: {size_mb:.1f} MB (budget {SIZE_BUDGET_MB[name]} MB)")
    assert size_mb <= SIZE_BUDGET_MB[name]


@pytest.mark.parametrize("name", IMAGES)
def test_images_carry_oci_labels(stack, name):
    labels = inspect(IMAGES[name])["Config"]["Labels"]
    for key in ("source", "revision", "version", "licenses", "description", "title"):
        assert labels.get(f"org.opencontainers.image.{key}"), f"{name}: no {key} label"


def locked_packages():
    """name -> version for every package the app's lock file installs on Linux."""
    text = (REPO / "requirements" / "main.txt").read_text()
    pinned = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;([^\\]*))?", text, re.M)
    return {
        normalize(name): version
        for name, version, marker in pinned
        if not marker.strip() or Marker(marker).evaluate({"sys_platform": "linux"})
    }


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_sbom_of_the_app_image_lists_exactly_the_locked_python_packages(stack, tmp_path):
    syft = Path(REPO, ".venv-stack", "bin", "syft")
    if not syft.exists():
        pytest.fail(f"{syft} is missing: tests/run installs it from tests/stack/requirements.txt")
    archive = tmp_path / "app.tar"
    subprocess.run(
        ["docker", "save", "-o", str(archive), IMAGES["app"]], check=True, timeout=COMMAND_TIMEOUT
    )
    sbom = subprocess.run(
        [str(syft), "scan", f"docker-archive:{archive}", "-o", "cyclonedx-json", "-q"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={"SYFT_CHECK_FOR_APP_UPDATE": "false", "PATH": "/usr/bin:/bin"},
    )
    components = json.loads(sbom.stdout)["components"]
    python = {
        normalize(c["name"]): c["version"]
        for c in components
        if c.get("purl", "").startswith("pkg:pypi/")
    }
    assert python == locked_packages()
