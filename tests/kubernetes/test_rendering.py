"""Every rendered document matches its schema strictly: unknown fields are errors.

Kubernetes' own kinds are checked by kubernetes-validate against the schemas of
rules.KUBERNETES_VERSION. Every other kind is a custom resource, checked against the JSON
Schema for its apiVersion and kind in ../shared/kubernetes (CloudNativePG, the Barman Cloud
plugin, Prometheus Operator: see its README). A custom resource with no schema there fails:
nothing is left unchecked. GitHub's runners have no ../shared: there the custom resources are
left to the `kubernetes` workflow, which applies them with --validate=strict to a cluster
running the operators' own CRDs.
"""

import json
import os
import subprocess

import jsonschema
import kubernetes_validate
import pytest
from conftest import KUSTOMIZE_ROOT, REPOSITORY, assert_no_problems, make_secrets
from manifests import name_of, of_kind
from rules import KUBERNETES_VERSION, OVERLAYS

SHARED_SCHEMAS = REPOSITORY.parent / "shared" / "kubernetes"
CLUSTER_WIDE_KINDS = (
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "PriorityClass",
    "StorageClass",
)


def test_every_overlay_is_rendered(overlay, documents):
    assert documents, f"overlays/{overlay} renders no document"


def test_the_promised_overlays_exist():
    found = {path.parent.name for path in KUSTOMIZE_ROOT.glob("overlays/*/kustomization.yaml")}
    assert set(OVERLAYS) <= found, f"missing overlays: {sorted(set(OVERLAYS) - found)}"


def test_no_secret_is_left_for_git():
    """The secrets script writes only git-ignored files."""
    make_secrets()
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "--", KUSTOMIZE_ROOT],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not untracked, (
        f"files under deploy/kubernetes that git neither tracks nor ignores: {untracked} "
        "(the secrets must be git-ignored; a new manifest must be added to git)"
    )


def test_everything_lands_in_the_overlays_namespace(overlay, documents):
    """A namespaced document without the namespace would go wherever kubectl points."""
    namespaces = [document["metadata"]["name"] for document in of_kind(documents, "Namespace")]
    assert len(namespaces) == 1, f"overlays/{overlay} makes {len(namespaces)} namespaces, not one"
    assert_no_problems(
        overlay,
        [
            f"{name_of(document)} is in {document['metadata'].get('namespace', 'no namespace')}"
            for document in documents
            if document["kind"] not in CLUSTER_WIDE_KINDS
            and document["metadata"].get("namespace") != namespaces[0]
        ],
    )


def shared_schema(document):
    group, _, version = document["apiVersion"].rpartition("/")
    return SHARED_SCHEMAS / group / f"{document['kind'].lower()}_{version}.json"


def is_custom_resource(document):
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return True
    except kubernetes_validate.ValidationError:
        pass
    return False


def kubernetes_schema_errors(document):
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        return []
    except kubernetes_validate.ValidationError as error:
        return [f"Kubernetes {error.version}: {error.message} at {error.json_path}"]


def custom_resource_errors(document):
    path = shared_schema(document)
    if not path.exists():
        return [f"custom resource {document['apiVersion']} with no schema ({path} is missing)"]
    schema = json.loads(path.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{path.relative_to(SHARED_SCHEMAS)}: {error.message} at {error.json_path}"
        for error in validator.iter_errors(document)
    ]


def assert_documents_match(overlay, documents, errors_of):
    failures = {
        name_of(document): errors for document in documents if (errors := errors_of(document))
    }
    assert not failures, f"overlays/{overlay}:\n" + "\n".join(
        f"  {name}: {error}" for name, errors in failures.items() for error in errors
    )


def test_every_kubernetes_document_matches_its_schema(overlay, documents):
    kinds = [document for document in documents if not is_custom_resource(document)]
    assert_documents_match(overlay, kinds, kubernetes_schema_errors)


def test_every_custom_resource_matches_its_schema(overlay, documents):
    if not SHARED_SCHEMAS.is_dir():
        if os.environ.get("GITHUB_ACTIONS") == "true":
            pytest.skip("no ../shared on GitHub: the kubernetes workflow checks them on a cluster")
        pytest.fail(
            f"{SHARED_SCHEMAS} is missing: the custom resources' schemas are in shared/kubernetes, "
            "beside the repository (as CI lays it out)"
        )
    custom = [document for document in documents if is_custom_resource(document)]
    assert_documents_match(overlay, custom, custom_resource_errors)
