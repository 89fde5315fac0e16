"""`python -m emulator push-image` (emulator/images.py): a manifest into ECR, idempotent, immutable tags kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from module_harness import fake_aws_environment
from moto import mock_aws

from emulator import __main__ as cli
from emulator import images, patches

REGION = "ap-northeast-2"
REPOSITORY = "dailyge-api"


@pytest.fixture
def ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fake_aws_environment(monkeypatch, REGION)
    with mock_aws():
        client = boto3.client("ecr", region_name=REGION)
        client.create_repository(repositoryName=REPOSITORY, imageTagMutability="IMMUTABLE")
        yield client


def described(ecr: Any, tag: str) -> dict[str, Any]:
    return ecr.describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": tag}])["imageDetails"][0]


def test_push_puts_the_manifest_and_returns_ecrs_digest(ecr):
    pushed = images.push_image(ecr, REPOSITORY, "3f2a9c1")

    assert pushed.changed is True
    assert pushed.digest == described(ecr, "3f2a9c1")["imageDigest"]
    assert pushed.digest == images.digest_of(images.manifest(REPOSITORY, "3f2a9c1"))
    [image] = ecr.batch_get_image(repositoryName=REPOSITORY, imageIds=[{"imageTag": "3f2a9c1"}])["images"]
    assert json.loads(image["imageManifest"])["mediaType"] == images.MEDIA_TYPE


def test_the_same_tag_again_is_the_same_image_and_changes_nothing(ecr):
    first = images.push_image(ecr, REPOSITORY, "3f2a9c1")
    again = images.push_image(ecr, REPOSITORY, "3f2a9c1")

    assert again.changed is False
    assert again.digest == first.digest
    assert len(ecr.list_images(repositoryName=REPOSITORY)["imageIds"]) == 1


def test_each_tag_is_its_own_image_and_failing_is_annotated(ecr):
    good = images.push_image(ecr, REPOSITORY, "good")
    other = images.push_image(ecr, REPOSITORY, "other")
    bad = images.push_image(ecr, REPOSITORY, "bad", failing=True)

    assert len({good.digest, other.digest, bad.digest}) == 3
    [image] = ecr.batch_get_image(repositoryName=REPOSITORY, imageIds=[{"imageTag": "bad"}])["images"]
    assert json.loads(image["imageManifest"])["annotations"] == {patches.FAILING_IMAGE_ANNOTATION: "failing"}
    uri = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0]["repositoryUri"]
    account = uri.split(".", 1)[0]
    assert patches.ecs_image_is_failing(account, REGION, f"{uri}:bad@{bad.digest}")
    assert not patches.ecs_image_is_failing(account, REGION, f"{uri}:good@{good.digest}")


def test_a_different_image_under_an_existing_tag_is_refused(ecr):
    first = images.push_image(ecr, REPOSITORY, "3f2a9c1")

    with pytest.raises(images.PushError, match=r"^tag 3f2a9c1 of ECR repository dailyge-api is already image") as err:
        images.push_image(ecr, REPOSITORY, "3f2a9c1", failing=True)
    assert "\n" not in str(err.value)
    assert described(ecr, "3f2a9c1")["imageDigest"] == first.digest


def test_moto_refuses_overwriting_an_immutable_tag_too(ecr):
    """The refusal above is ours; ECR (and moto) refuse the PutImage itself as well."""
    images.push_image(ecr, REPOSITORY, "3f2a9c1")
    text = images.manifest(REPOSITORY, "3f2a9c1", failing=True)
    with pytest.raises(ecr.exceptions.ClientError, match="already exists"):
        ecr.put_image(repositoryName=REPOSITORY, imageManifest=text, imageTag="3f2a9c1")


def test_a_missing_repository_is_one_line(ecr):
    with pytest.raises(images.PushError, match=r"^ECR repository nope does not exist: run site\.yml first$"):
        images.push_image(ecr, "nope", "3f2a9c1")


def test_the_command_refuses_when_the_emulator_is_not_running(monkeypatch, capsys):
    monkeypatch.setattr(cli.launcher, "health", lambda settings: None)
    assert cli.main(["push-image", "--repository", REPOSITORY, "--tag", "x"]) == 1
    assert "emulator is not running" in capsys.readouterr().err


def test_the_command_prints_the_digest(ecr, monkeypatch, capsys):
    monkeypatch.setattr(cli.launcher, "health", lambda settings: {"pid": 1})
    monkeypatch.setattr(cli.images, "ecr_client", lambda endpoint: ecr)
    assert cli.main(["push-image", "--repository", REPOSITORY, "--tag", "3f2a9c1", "--failing"]) == 0
    assert capsys.readouterr().out.strip() == described(ecr, "3f2a9c1")["imageDigest"]
    assert cli.main(["push-image", "--repository", REPOSITORY, "--tag", "3f2a9c1"]) == 1
    assert "cannot be overwritten" in capsys.readouterr().err
