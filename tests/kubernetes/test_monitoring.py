"""Monitoring on Kubernetes (README.md, Monitoring on Kubernetes): what Prometheus scrapes is
really there, and the PrometheusRule carries the very alerts compose's Prometheus loads.
"""

import subprocess
import sys

import pytest
import yaml
from conftest import KUSTOMIZE_ROOT, REPOSITORY, assert_no_problems
from manifests import container, database_labels, find, name_of, of_kind, pod_labels, selects
from rules import APP_CONTAINER, APP_METRICS_PORT, DEPLOYMENT

# The overlays that include components/monitoring (the single-node one has no operator).
MONITORED_OVERLAYS = ("production",)
GENERATOR = KUSTOMIZE_ROOT / "make_prometheus_rule.py"
RULE_SOURCES = (
    KUSTOMIZE_ROOT / "components" / "monitoring" / "recording-rules.yml",
    REPOSITORY / "deploy" / "monitoring" / "rules" / "alerts.yml",
)


def test_the_monitored_overlays_have_the_monitors_and_the_rule(overlay, documents):
    kinds = {document["kind"] for document in documents}
    monitoring = {"PodMonitor", "PrometheusRule"}
    if overlay in MONITORED_OVERLAYS:
        assert monitoring <= kinds, f"overlays/{overlay} lacks {sorted(monitoring - kinds)}"
    else:
        assert not monitoring & kinds, f"overlays/{overlay} needs no Prometheus Operator"


def test_the_app_serves_metrics_on_its_named_port(documents):
    pod = find(documents, "Deployment", DEPLOYMENT)["spec"]["template"]["spec"]
    ports = {port["name"]: port["containerPort"] for port in container(pod, APP_CONTAINER)["ports"]}
    assert ports.get("metrics") == APP_METRICS_PORT, f"the app container's ports: {ports}"


def scraped_port_problems(monitor, documents):
    """A PodMonitor must select pods that have every port it scrapes, by name."""
    selector = monitor["spec"]["selector"]
    ports = {endpoint["port"] for endpoint in monitor["spec"]["podMetricsEndpoints"]}
    for cluster in of_kind(documents, "Cluster"):
        # CloudNativePG gives each instance's exporter the port `metrics`.
        if selects(selector, database_labels(documents, cluster["metadata"]["name"])):
            return [] if ports == {"metrics"} else [f"{name_of(monitor)} scrapes {ports}"]
    pod_specs = [
        workload["spec"]["template"]["spec"]
        for workload in of_kind(documents, "Deployment") + of_kind(documents, "StatefulSet")
        if selects(selector, pod_labels(workload))
    ]
    if not pod_specs:
        return [f"{name_of(monitor)} selects no pod"]
    return [
        f"{name_of(monitor)}: a selected pod has no port named {port}"
        for pod_spec in pod_specs
        for port in ports
        if not any(
            declared.get("name") == port
            for each in pod_spec["containers"]
            for declared in each.get("ports", [])
        )
    ]


def test_every_pod_monitor_scrapes_ports_its_pods_have(overlay, documents):
    problems = [
        problem
        for monitor in of_kind(documents, "PodMonitor")
        for problem in scraped_port_problems(monitor, documents)
    ]
    assert_no_problems(overlay, problems)


@pytest.mark.parametrize("overlay", MONITORED_OVERLAYS)
def test_the_prometheus_rule_carries_the_alerts_and_the_kubernetes_recording_rules(documents):
    sources = [yaml.safe_load(source.read_text())["groups"] for source in RULE_SOURCES]
    (rule,) = of_kind(documents, "PrometheusRule")
    assert rule["spec"]["groups"] == [group for groups in sources for group in groups], (
        f"{name_of(rule)} is not the groups of {[str(s) for s in RULE_SOURCES]}: "
        f"run {GENERATOR.relative_to(REPOSITORY)}"
    )


def test_the_generator_finds_the_prometheus_rule_current():
    result = subprocess.run(
        [sys.executable, GENERATOR, "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
