"""The alert rules are valid and do what they say, checked by the Prometheus image's promtool.

`promtool check rules` on every rule file (deploy/monitoring/rules/ and the Kubernetes
recording rules of deploy/kubernetes/components/monitoring), then `promtool test rules`
on every unit test in deploy/monitoring/tests/, in the image compose runs Prometheus from
(no shell there: promtool is the entrypoint), with the checkout mounted read-only and no
network. And every alert has a test where it fires and one where it stays quiet.
"""

import pytest
import yaml
from monitoring_config import alerts

from hosttools.commands import run_command
from hosttools.compose_project import COMMAND_TIMEOUT, REPO, DockerError

PROMETHEUS_IMAGE = "cgr.dev/chainguard/prometheus:latest"
DEPLOY = REPO / "deploy"
KUBERNETES_RULES = DEPLOY / "kubernetes" / "components" / "monitoring" / "recording-rules.yml"
RULE_FILES = [*sorted((DEPLOY / "monitoring" / "rules").glob("*.yml")), KUBERNETES_RULES]
UNIT_TESTS = sorted((DEPLOY / "monitoring" / "tests").glob("*.yml"))


def promtool(*arguments):
    """promtool's exit code and output; paths under deploy/ are given as they are in the repo."""
    command = [
        *("docker", "run", "--rm", "--read-only", "--network", "none"),
        # promtool test rules keeps each test's samples in a database under the image's /tmp.
        *("--tmpfs", "/tmp:uid=65532,gid=65532"),  # noqa: S108 - inside the container
        *("--volume", f"{DEPLOY}:/deploy:ro", "--entrypoint", "promtool", PROMETHEUS_IMAGE),
        *(str(argument).replace(str(DEPLOY), "/deploy") for argument in arguments),
    ]
    result = run_command(command, DockerError, check=False, timeout=COMMAND_TIMEOUT)
    return result.returncode, result.stdout + result.stderr


def test_every_rule_file_is_valid(docker):
    status, output = promtool("check", "rules", *RULE_FILES)
    assert status == 0, output
    assert output.count("SUCCESS") == len(RULE_FILES), output


def test_every_unit_test_passes(docker):
    assert UNIT_TESTS, "no unit test in deploy/monitoring/tests"
    status, output = promtool("test", "rules", *UNIT_TESTS)
    assert status == 0, output
    assert output.count("SUCCESS") == len(UNIT_TESTS), output


def checks_of(alert, firing):
    return [
        check
        for path in UNIT_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for check in test.get("alert_rule_test", [])
        if check["alertname"] == alert and bool(check.get("exp_alerts")) == firing
    ]


@pytest.mark.parametrize("alert", sorted(alerts()))
def test_every_alert_is_tested_firing_and_quiet(alert):
    assert checks_of(alert, firing=True), f"no unit test where {alert} fires"
    assert checks_of(alert, firing=False), f"no unit test where {alert} stays quiet"
