"""Reading rendered Kubernetes documents: workloads, their pods and containers, selectors."""

WORKLOAD_POD_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}


def name_of(document):
    return f"{document['kind']}/{document['metadata']['name']}"


def find(documents, kind, name):
    for document in documents:
        if document["kind"] == kind and document["metadata"]["name"] == name:
            return document
    raise AssertionError(f"no {kind}/{name} in the rendered manifests")


def of_kind(documents, kind):
    return [document for document in documents if document["kind"] == kind]


def named_from(documents, kind, prefix):
    """The documents of a kind whose name starts with a prefix (a Job's carries its release)."""
    return [
        document
        for document in of_kind(documents, kind)
        if document["metadata"]["name"].startswith(prefix)
    ]


def pod_template(workload):
    """The pod (metadata and spec) a workload runs."""
    template = workload
    for key in WORKLOAD_POD_PATHS[workload["kind"]]:
        template = template[key]
    return template


def pod_labels(workload):
    return pod_template(workload).get("metadata", {}).get("labels", {})


def database_labels(documents, name):
    """The database pods' labels: the StatefulSet's, or those CloudNativePG gives its pods."""
    for cluster in of_kind(documents, "Cluster"):
        if cluster["metadata"]["name"] == name:
            inherited = cluster["spec"].get("inheritedMetadata", {}).get("labels", {})
            return inherited | {"cnpg.io/cluster": name, "cnpg.io/podRole": "instance"}
    return pod_labels(find(documents, "StatefulSet", name))


def workloads(documents):
    return [document for document in documents if document["kind"] in WORKLOAD_POD_PATHS]


def containers(pod_spec):
    """Every container of a pod, init containers included, with the list it is in."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in pod_spec.get(key, []):
            yield key, container


def every_container(documents):
    """(workload, pod spec, container) for every container of every workload."""
    for workload in workloads(documents):
        pod_spec = pod_template(workload)["spec"]
        for _, container in containers(pod_spec):
            yield workload, pod_spec, container


def container(pod_spec, name):
    for _, candidate in containers(pod_spec):
        if candidate["name"] == name:
            return candidate
    raise AssertionError(f"the pod has no container {name!r}")


def security_setting(pod_spec, container, key):
    """What a security setting is for a container: its own, else the pod's (Kubernetes' rule)."""
    own = container.get("securityContext", {})
    if key in own:
        return own[key]
    return pod_spec.get("securityContext", {}).get(key)


def selects(selector, labels):
    """Whether a label selector (matchLabels and matchExpressions) selects these labels."""
    if selector is None:
        return False
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def command_line(container):
    return [str(part) for part in container.get("command", []) + container.get("args", [])]


def probe_path(probe):
    """The path a probe asks for: httpGet's path, or the argument of an exec probe naming one."""
    if "httpGet" in probe:
        return probe["httpGet"].get("path", "/")
    for argument in probe.get("exec", {}).get("command", [])[1:]:
        if str(argument).startswith("/"):
            return str(argument)
    return None


def images(node):
    """Every container image named anywhere in a document (`image`, or a CRD's `imageName`)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("image", "imageName") and isinstance(value, str):
                yield value
            else:
                yield from images(value)
    elif isinstance(node, list):
        for item in node:
            yield from images(item)
