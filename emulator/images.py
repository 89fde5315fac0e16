"""Images "pushed" into the emulator's ECR: a generated manifest put with PutImage, no layers uploaded.

    python -m emulator push-image --repository dailyge-api --tag 3f2a9c1 [--failing]

The manifest (OCI image manifest) is a function of the repository and the tag only, so pushing the
same tag again is the same image: nothing changes and the same digest is printed. The digest is
the sha256 of the manifest bytes, as ECR computes it. `--failing` adds the annotation
`org.dailyge.emulator/health: failing`: the emulator's ECS then fails the tasks of a deployment of
that image (emulator.patches.ecs_deployments_roll_out_as_aws_does), which is how the circuit
breaker's rollback is exercised locally.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from emulator.patches import FAILING_IMAGE_ANNOTATION

MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
DEFAULT_REGION = "ap-northeast-2"


class PushError(Exception):
    """The image cannot be pushed; the message is the one line to print."""


@dataclass(frozen=True)
class Pushed:
    repository: str
    tag: str
    digest: str
    changed: bool


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def manifest(repository: str, tag: str, failing: bool = False) -> str:
    """The manifest of the image `repository:tag` (the same text for the same arguments)."""
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "size": 1024, "digest": sha256(f"{repository}:{tag}")},
        "layers": [{"mediaType": LAYER_MEDIA_TYPE, "size": 4096, "digest": sha256(f"{repository}:{tag}:layer")}],
    }
    if failing:
        document["annotations"] = {FAILING_IMAGE_ANNOTATION: "failing"}
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def digest_of(text: str) -> str:
    """ECR's digest of a manifest: the sha256 of its bytes."""
    return sha256(text)


def tagged_digest(ecr: Any, repository: str, tag: str) -> str | None:
    try:
        found = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
    except ecr.exceptions.ImageNotFoundException:
        return None
    return found[0]["imageDigest"] if found else None


def push_image(ecr: Any, repository: str, tag: str, failing: bool = False) -> Pushed:
    """Put the generated manifest of `repository:tag`; idempotent; a different image under the tag is refused."""
    text = manifest(repository, tag, failing)
    digest = digest_of(text)
    try:
        existing = tagged_digest(ecr, repository, tag)
    except ecr.exceptions.RepositoryNotFoundException:
        raise PushError(f"ECR repository {repository} does not exist: run site.yml first") from None
    if existing == digest:
        return Pushed(repository, tag, digest, changed=False)
    if existing is not None:
        raise PushError(
            f"tag {tag} of ECR repository {repository} is already image {existing} "
            f"(not {digest}): an immutable tag cannot be overwritten (ImageTagAlreadyExistsException)"
        )
    answer = ecr.put_image(
        repositoryName=repository,
        imageManifest=text,
        imageManifestMediaType=MEDIA_TYPE,
        imageTag=tag,
        imageDigest=digest,
    )
    return Pushed(repository, tag, answer["image"]["imageId"]["imageDigest"], changed=True)


def ecr_client(endpoint: str, region: str = DEFAULT_REGION) -> Any:
    import boto3

    return boto3.client(
        "ecr",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator accepts any credentials
    )
