"""The app stays up through node loss, drains, load and rollouts (README.md, Kubernetes)."""

import math
import os
import runpy

from conftest import REPOSITORY, assert_no_problems
from manifests import container, containers, find, of_kind, pod_template, probe_path, selects
from rules import (
    APP_CONTAINER,
    APP_PROBES,
    DEPLOYMENT,
    MIN_REPLICAS,
    SPREAD_TOPOLOGY_KEY,
)

GUNICORN_CONFIG = REPOSITORY / "deploy" / "gunicorn.conf.py"


def app_pod(documents):
    return pod_template(find(documents, "Deployment", DEPLOYMENT))


def selecting(documents, kind, pod):
    """The one document of a kind whose selector picks the app's pods."""
    chosen = [
        document
        for document in of_kind(documents, kind)
        if selects(document["spec"].get("selector"), pod["metadata"]["labels"])
    ]
    assert len(chosen) == 1, f"{len(chosen)} {kind}s select the app's pods, not one"
    return chosen[0]


def autoscaler(documents):
    for hpa in of_kind(documents, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        if (target["kind"], target["name"]) == ("Deployment", DEPLOYMENT):
            return hpa
    raise AssertionError(f"no HorizontalPodAutoscaler scales Deployment/{DEPLOYMENT}")


def fewest_pods(documents):
    """The fewest app pods there will be: the Deployment's count, or the autoscaler's floor."""
    deployment = find(documents, "Deployment", DEPLOYMENT)
    return min(deployment["spec"].get("replicas", 1), autoscaler(documents)["spec"]["minReplicas"])


def test_replicas_spread_across_nodes(overlay, documents):
    deployment = find(documents, "Deployment", DEPLOYMENT)
    labels = app_pod(documents)["metadata"]["labels"]
    spread = [
        constraint
        for constraint in app_pod(documents)["spec"].get("topologySpreadConstraints", [])
        if constraint["topologyKey"] == SPREAD_TOPOLOGY_KEY
        and selects(constraint.get("labelSelector"), labels)
    ]
    problems = []
    if deployment["spec"].get("replicas", 1) < MIN_REPLICAS:
        problems.append(
            f"replicas is {deployment['spec'].get('replicas', 1)}, under {MIN_REPLICAS}"
        )
    if not spread:
        problems.append(f"no topology spread of the app's own pods over {SPREAD_TOPOLOGY_KEY}")
    assert_no_problems(overlay, problems)


def test_autoscaler_scales_on_cpu_from_the_minimum(overlay, documents):
    spec = autoscaler(documents)["spec"]
    cpu = [
        metric
        for metric in spec.get("metrics", [])
        if metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    ]
    problems = []
    if spec["minReplicas"] < MIN_REPLICAS:
        problems.append(f"minReplicas is {spec['minReplicas']}, under {MIN_REPLICAS}")
    if spec["maxReplicas"] <= spec["minReplicas"]:
        problems.append("maxReplicas leaves nothing to scale")
    if not cpu:
        problems.append("no CPU metric")
    assert_no_problems(overlay, problems)


def budget(value, pods):
    """A PodDisruptionBudget number or percentage, in pods (Kubernetes rounds percentages up)."""
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * pods / 100)
    return int(value)


def test_disruption_budget_lets_a_drain_through_and_keeps_a_pod(overlay, documents):
    spec = selecting(documents, "PodDisruptionBudget", app_pod(documents))["spec"]
    pods = fewest_pods(documents)
    if "minAvailable" in spec:
        evictable = pods - budget(spec["minAvailable"], pods)
    else:
        evictable = budget(spec.get("maxUnavailable", 0), pods)
    assert 1 <= evictable <= pods - 1, (
        f"overlays/{overlay}: with {pods} pods the budget lets {evictable} go at once "
        f"(a drain needs 1 at least, and one pod must stay)"
    )


def test_app_probes(overlay, documents):
    app = container(app_pod(documents)["spec"], APP_CONTAINER)
    problems = []
    for probe, path in APP_PROBES.items():
        if probe not in app:
            problems.append(f"{APP_CONTAINER} has no {probe}")
        elif path is not None and probe_path(app[probe]) != path:
            problems.append(
                f"{APP_CONTAINER}'s {probe} asks for {probe_path(app[probe])}, not {path}"
            )
    assert_no_problems(overlay, problems)


def environment(documents, pod_container):
    """The container's environment from its env and envFrom ConfigMaps (secrets left out)."""
    values = {}
    config_maps = {
        document["metadata"]["name"]: document for document in of_kind(documents, "ConfigMap")
    }
    for source in pod_container.get("envFrom", []):
        if "configMapRef" in source:
            data = config_maps[source["configMapRef"]["name"]].get("data", {})
            values.update({source.get("prefix", "") + key: value for key, value in data.items()})
    for variable in pod_container.get("env", []):
        reference = variable.get("valueFrom", {}).get("configMapKeyRef")
        if "value" in variable:
            values[variable["name"]] = variable["value"]
        elif reference:
            values[variable["name"]] = config_maps[reference["name"]]["data"][reference["key"]]
    return values


def gunicorn_graceful_timeout(environment_variables, monkeypatch):
    """What deploy/gunicorn.conf.py makes of the container's environment."""
    for name in list(os.environ):
        if name.startswith("GUNICORN_"):
            monkeypatch.delenv(name)
    for name, value in environment_variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONFIG))["graceful_timeout"]


def pre_stop_seconds(pod_container):
    pre_stop = pod_container.get("lifecycle", {}).get("preStop", {})
    if "sleep" in pre_stop:
        return int(pre_stop["sleep"]["seconds"])
    command = pre_stop.get("exec", {}).get("command", [])
    if command and os.path.basename(command[0]) == "sleep":
        return int(command[1])
    return 0


def test_grace_period_covers_the_pre_stop_delay_and_the_drain(overlay, documents, monkeypatch):
    pod = app_pod(documents)["spec"]
    app = container(pod, APP_CONTAINER)
    drain = gunicorn_graceful_timeout(environment(documents, app), monkeypatch)
    delay = max(pre_stop_seconds(pod_container) for _, pod_container in containers(pod))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    assert delay > 0, f"overlays/{overlay}: no preStop delay: endpoints may still send requests"
    assert grace > delay + drain, (
        f"overlays/{overlay}: terminationGracePeriodSeconds {grace} is not over the preStop delay "
        f"{delay} s plus gunicorn's graceful timeout {drain} s"
    )
