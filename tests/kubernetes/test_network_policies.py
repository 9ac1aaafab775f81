"""Who may talk to whom: everything is denied but the paths the app needs.

The NetworkPolicies are evaluated for each connection below, from the endpoints the manifests
define (the app's pods, the migration Job's, the database's) and the ones around them.
"""

from conftest import assert_no_problems
from manifests import database_labels, find, named_from, of_kind, pod_labels
from network_policies import Endpoint, allowed, side_allows
from rules import (
    APP_METRICS_PORT,
    DATABASE_METRICS_PORT,
    DATABASE_PORT,
    DATABASE_WORKLOAD,
    DEPLOYMENT,
    DNS_PORT,
    INGRESS_NAMESPACE,
    MIGRATION_JOB_PREFIX,
    MONITORING_NAMESPACE,
    OPERATOR_NAMESPACE,
    OPERATOR_PORT,
    PROMETHEUS_POD_LABELS,
    WEB_PORT,
)

HTTPS = 443


def endpoints(documents):
    deployment = find(documents, "Deployment", DEPLOYMENT)
    namespace = deployment["metadata"].get("namespace", "")
    jobs = named_from(documents, "Job", MIGRATION_JOB_PREFIX)
    assert jobs, f"no Job named {MIGRATION_JOB_PREFIX}*"
    return {
        "app": Endpoint("the app's pods", namespace, pod_labels(deployment)),
        "migrate": Endpoint("the migration Job's pod", namespace, pod_labels(jobs[0])),
        "database": Endpoint(
            "the database's pods", namespace, database_labels(documents, DATABASE_WORKLOAD)
        ),
        "dns": Endpoint("the cluster's DNS", "kube-system", {"k8s-app": "kube-dns"}),
        "ingress": Endpoint(
            "the ingress controller", INGRESS_NAMESPACE, {"app.kubernetes.io/name": "ingress-nginx"}
        ),
        "operator": Endpoint(
            "the CloudNativePG operator",
            OPERATOR_NAMESPACE,
            {"app.kubernetes.io/name": "cloudnative-pg"},
        ),
        "prometheus": Endpoint("Prometheus", MONITORING_NAMESPACE, PROMETHEUS_POD_LABELS),
        "monitoring": Endpoint("another pod by Prometheus", MONITORING_NAMESPACE, {"app": "other"}),
        "neighbour": Endpoint("another pod in the namespace", namespace, {"app": "other"}),
        "stranger": Endpoint("a pod in another namespace", "elsewhere", {"app": "other"}),
        "internet": Endpoint("an address outside the cluster", ip="203.0.113.7"),
    }


# (source, target, port, protocol) that must get through: the source's egress and the target's
# ingress allow it.
ALLOWED = [
    ("ingress", "app", WEB_PORT, "TCP"),
    ("app", "database", DATABASE_PORT, "TCP"),
    ("migrate", "database", DATABASE_PORT, "TCP"),
    ("app", "dns", DNS_PORT, "UDP"),
    ("app", "dns", DNS_PORT, "TCP"),
    ("migrate", "dns", DNS_PORT, "UDP"),
]
# With CloudNativePG, the operator reaches each instance's manager, and instances replicate.
ALLOWED_WITH_OPERATOR = [
    ("operator", "database", OPERATOR_PORT, "TCP"),
    ("database", "database", DATABASE_PORT, "TCP"),
]
# With the monitoring component (PodMonitors), Prometheus scrapes the app and the instances.
ALLOWED_WITH_MONITORING = [
    ("prometheus", "app", APP_METRICS_PORT, "TCP"),
    ("prometheus", "database", DATABASE_METRICS_PORT, "TCP"),
]
# What the target's own ingress policies must refuse, whatever the source's egress allows
# (a pod someone else runs in the namespace may come with a policy of its own).
INGRESS_DENIED = [
    ("neighbour", "app", WEB_PORT, "TCP"),
    ("stranger", "app", WEB_PORT, "TCP"),
    ("internet", "app", WEB_PORT, "TCP"),
    ("neighbour", "database", DATABASE_PORT, "TCP"),
    ("stranger", "database", DATABASE_PORT, "TCP"),
    ("ingress", "database", DATABASE_PORT, "TCP"),
    ("neighbour", "neighbour", WEB_PORT, "TCP"),
    # The metrics are Prometheus's alone, and Prometheus reaches nothing else.
    ("neighbour", "app", APP_METRICS_PORT, "TCP"),
    ("stranger", "app", APP_METRICS_PORT, "TCP"),
    ("ingress", "app", APP_METRICS_PORT, "TCP"),
    ("monitoring", "app", APP_METRICS_PORT, "TCP"),
    ("neighbour", "database", DATABASE_METRICS_PORT, "TCP"),
    ("monitoring", "database", DATABASE_METRICS_PORT, "TCP"),
    ("prometheus", "app", WEB_PORT, "TCP"),
    ("prometheus", "database", DATABASE_PORT, "TCP"),
    ("prometheus", "database", OPERATOR_PORT, "TCP"),
]
# What the source's own egress policies must refuse, whatever the target's ingress allows.
EGRESS_DENIED = [
    ("app", "internet", HTTPS, "TCP"),
    ("app", "stranger", DATABASE_PORT, "TCP"),
    ("app", "neighbour", WEB_PORT, "TCP"),
    ("migrate", "internet", HTTPS, "TCP"),
    ("neighbour", "internet", HTTPS, "TCP"),
]


def test_default_deny_both_ways(overlay, documents):
    deny_all = [
        policy
        for policy in of_kind(documents, "NetworkPolicy")
        if policy["spec"]["podSelector"] == {}
        and {"Ingress", "Egress"} <= set(policy["spec"].get("policyTypes", []))
        and not policy["spec"].get("ingress")
        and not policy["spec"].get("egress")
    ]
    assert deny_all, f"overlays/{overlay}: no NetworkPolicy denies all ingress and egress"


def test_only_the_needed_paths_are_open(overlay, documents):
    policies = of_kind(documents, "NetworkPolicy")
    ends = endpoints(documents)
    must_pass = ALLOWED + (ALLOWED_WITH_OPERATOR if of_kind(documents, "Cluster") else [])
    must_pass += ALLOWED_WITH_MONITORING if of_kind(documents, "PodMonitor") else []

    def connection(source, target, port, protocol):
        return f"{ends[source].description} to {ends[target].description} on {port}/{protocol}"

    problems = [
        f"refused: {connection(*flow)}"
        for flow in must_pass
        if not allowed(policies, ends[flow[0]], ends[flow[1]], *flow[2:])
    ]
    problems += [
        f"let in by the target: {connection(*flow)}"
        for flow in INGRESS_DENIED
        if side_allows(policies, "Ingress", ends[flow[1]], ends[flow[0]], *flow[2:])
    ]
    problems += [
        f"let out by the source: {connection(*flow)}"
        for flow in EGRESS_DENIED
        if side_allows(policies, "Egress", ends[flow[0]], ends[flow[1]], *flow[2:])
    ]
    assert_no_problems(overlay, problems)
