"""Every pod and container is locked down like the compose stack's (README.md, Hardening)."""

import functools

from conftest import assert_no_problems
from manifests import (
    containers,
    every_container,
    name_of,
    pod_template,
    security_setting,
    workloads,
)
from rules import APP_UID, DATABASE_WORKLOAD, READ_ONLY_VOLUME_TYPES

CPU_UNITS = {"m": 0.001}
MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9}


def where(workload, container):
    return f"{name_of(workload)} container {container['name']}"


def hardening_problems(workload, pod_spec, container):
    setting = functools.partial(security_setting, pod_spec, container)
    own = container.get("securityContext", {})
    capabilities = own.get("capabilities", {})
    uid = setting("runAsUser")
    expected = {
        "runAsNonRoot is true": setting("runAsNonRoot") is True,
        "readOnlyRootFilesystem is true": own.get("readOnlyRootFilesystem") is True,
        "allowPrivilegeEscalation is false": own.get("allowPrivilegeEscalation") is False,
        "not privileged": own.get("privileged") is not True,
        "capabilities drop ALL": "ALL" in capabilities.get("drop", []),
        "no capability added": not capabilities.get("add"),
        "seccompProfile is RuntimeDefault": (setting("seccompProfile") or {}).get("type")
        == "RuntimeDefault",
    }
    if workload["metadata"]["name"] == DATABASE_WORKLOAD:
        expected["runs as a named non-root uid"] = isinstance(uid, int) and uid > 0
    else:
        expected[f"runs as uid {APP_UID}"] = uid == APP_UID
    return [f"{where(workload, container)}: not {rule}" for rule, ok in expected.items() if not ok]


def test_every_container_is_hardened(overlay, documents):
    problems = [
        problem
        for workload, pod_spec, container in every_container(documents)
        for problem in hardening_problems(workload, pod_spec, container)
    ]
    assert_no_problems(overlay, problems)


def test_no_pod_gets_a_service_account_token_or_the_host(overlay, documents):
    problems = []
    for workload in workloads(documents):
        pod_spec = pod_template(workload)["spec"]
        if pod_spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name_of(workload)}: automountServiceAccountToken is not false")
        problems += [
            f"{name_of(workload)}: {key} is on"
            for key in ("hostNetwork", "hostPID", "hostIPC")
            if pod_spec.get(key)
        ]
    assert_no_problems(overlay, problems)


def writable_mount_problems(workload, pod_spec):
    """Writable places are emptyDir volumes only; the database alone also keeps its claim."""
    volumes = {volume["name"]: volume for volume in pod_spec.get("volumes", [])}
    claims = {
        claim["metadata"]["name"] for claim in workload["spec"].get("volumeClaimTemplates", [])
    }
    is_database = workload["metadata"]["name"] == DATABASE_WORKLOAD
    for _, container in containers(pod_spec):
        for mount in container.get("volumeMounts", []):
            volume = volumes.get(mount["name"], {})
            kinds = set(volume) - {"name"}
            if mount.get("readOnly") or kinds & set(READ_ONLY_VOLUME_TYPES) or "emptyDir" in kinds:
                continue
            if is_database and (mount["name"] in claims or "persistentVolumeClaim" in kinds):
                continue
            source = ", ".join(sorted(kinds)) or "a claim"
            yield f"{where(workload, container)}: {mount['mountPath']} is writable ({source})"


def test_every_writable_path_is_an_empty_dir(overlay, documents):
    problems = [
        problem
        for workload in workloads(documents)
        for problem in writable_mount_problems(workload, pod_template(workload)["spec"])
    ]
    assert_no_problems(overlay, problems)


def quantity(text, units):
    text = str(text)
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def resource_problems(workload, container):
    resources = container.get("resources", {})
    for resource, units in (("cpu", CPU_UNITS), ("memory", MEMORY_UNITS)):
        request = resources.get("requests", {}).get(resource)
        limit = resources.get("limits", {}).get(resource)
        if request is None or limit is None:
            yield f"{where(workload, container)}: {resource} request and limit are not both set"
        elif quantity(request, units) > quantity(limit, units):
            yield f"{where(workload, container)}: {resource} request {request} over limit {limit}"


def test_every_container_has_requests_and_limits(overlay, documents):
    problems = [
        problem
        for workload, _, container in every_container(documents)
        for problem in resource_problems(workload, container)
    ]
    assert_no_problems(overlay, problems)
