"""Production and development are separate compose projects: a forgotten `-f compose.yaml`
on a production host cannot put its data under the development override."""

import json
import os
import subprocess

from hosttools.compose_project import REPO

VOLUMES = ("db-data", "secrets", "gunicorn-socket")


def config(*files):
    """`docker compose config` as a person would run it in the checkout, without -p."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMPOSE_")}
    result = subprocess.run(
        ["docker", "compose", *files, "config", "--format", "json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def test_development_never_shares_productions_volumes(docker):
    production, development = config("--file", "compose.yaml"), config()
    assert production["name"] == "visitors"
    assert development["name"] == "visitors-dev"
    assert development["services"]["app"]["environment"]["DJANGO_DEBUG"] == "1"
    for volume in VOLUMES:
        assert production["volumes"][volume]["name"] == f"visitors_{volume}"
        assert development["volumes"][volume]["name"] == f"visitors-dev_{volume}"
