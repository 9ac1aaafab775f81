"""Every image is a fixed release: never `latest`, and in production pinned by digest."""

import re

from conftest import assert_no_problems
from manifests import images, name_of, of_kind
from rules import DIGEST_PINNED_OVERLAYS

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def tag(image):
    """The image's tag, or None (a reference without one means `latest`)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def test_no_image_is_latest(overlay, documents):
    problems = [
        f"{name_of(document)}: {image}"
        for document in documents
        for image in images(document)
        if not DIGEST.search(image) and tag(image) in (None, "latest")
    ]
    assert_no_problems(overlay, problems)


def test_production_images_are_pinned_by_digest(overlay, documents):
    if overlay not in DIGEST_PINNED_OVERLAYS:
        return
    problems = [
        f"{name_of(document)}: {image} has no digest"
        for document in documents
        for image in images(document)
        if not DIGEST.search(image)
    ] + [
        f"{name_of(cluster)}: no imageName, so the operator's default PostgreSQL image runs"
        for cluster in of_kind(documents, "Cluster")
        if not {"imageName", "imageCatalogRef"} & set(cluster["spec"])
    ]
    assert_no_problems(overlay, problems)
