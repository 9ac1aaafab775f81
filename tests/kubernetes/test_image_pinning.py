"""Production runs fixed releases: every image pinned by digest, none tagged `latest`."""

import re

import pytest
from conftest import assert_no_problems
from manifests import images, name_of, of_kind
from rules import DIGEST_PINNED_OVERLAYS

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def tag(image):
    """The image's tag, or None (a reference without one means `latest`)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def pinning_problems(document):
    for image in images(document):
        if not DIGEST.search(image):
            yield f"{name_of(document)}: {image} has no digest"
        if tag(image) == "latest":
            yield f"{name_of(document)}: {image} is tagged latest"


@pytest.mark.parametrize("overlay", DIGEST_PINNED_OVERLAYS)
def test_images_are_pinned_by_digest(overlay, documents):
    problems = [problem for document in documents for problem in pinning_problems(document)]
    problems += [
        f"{name_of(cluster)}: no imageName, so the operator's default PostgreSQL image runs"
        for cluster in of_kind(documents, "Cluster")
        if not {"imageName", "imageCatalogRef"} & set(cluster["spec"])
    ]
    assert_no_problems(overlay, problems)
