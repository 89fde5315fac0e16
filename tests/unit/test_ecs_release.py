"""dailyge.infra.ecs_release against in-process moto with the emulator's ECS deployment patch.

Covers the change (a revision that differs only in the image, the service moved onto it, the rollout
waited for), check mode (reads only), idempotence, every refusal before any write, the circuit
breaker's rollback and the timeout of a rollout that never ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.dailyge.infra.plugins.module_utils import ecs_release as engine
from ansible_collections.dailyge.infra.plugins.modules import ecs_release
from module_harness import ApiCalls, fake_aws_environment, recording_api_calls, run_module
from moto import mock_aws

from emulator import images

REGION = "ap-northeast-2"
CLUSTER = "dailyge-test"
SERVICE = "dailyge-api"
REPOSITORY = "dailyge-api"
ARGS = {"cluster": CLUSTER, "service": SERVICE, "repository": REPOSITORY, "image_tag": "good", "wait_delay": 1}
BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200}
TAGS = [{"key": "Project", "value": "dailyge"}]


class FakeClock(engine.Clock):
    """Sleeping advances the monotonic counter at once."""

    def __init__(self) -> None:
        self.now_s = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now_s += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(ecs_release, "CLOCK", fake)
    return fake


def make_service(ecs: Any, name: str, breaker: dict[str, Any]) -> None:
    ecs.create_service(
        cluster=CLUSTER, serviceName=name, taskDefinition="api:1", desiredCount=2, deploymentConfiguration=breaker
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, ecs_as_aws: None, clock: FakeClock) -> Iterator[ApiCalls]:
    """moto (patched as the emulator is) with an ECR repository of pushed images and one service on :bootstrap."""
    fake_aws_environment(monkeypatch, REGION)
    with mock_aws():
        ecr, ecs = boto3.client("ecr", region_name=REGION), boto3.client("ecs", region_name=REGION)
        ecr.create_repository(repositoryName=REPOSITORY, imageTagMutability="IMMUTABLE")
        for tag in ("bootstrap", "good", "other"):
            images.push_image(ecr, REPOSITORY, tag)
        images.push_image(ecr, REPOSITORY, "broken", failing=True)
        ecs.create_cluster(clusterName=CLUSTER)
        ecs.register_task_definition(
            family="api",
            taskRoleArn="arn:aws:iam::123456789012:role/api-task",
            executionRoleArn="arn:aws:iam::123456789012:role/api-execution",
            networkMode="bridge",
            requiresCompatibilities=["EC2"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": "api",
                    "image": f"{repository_uri()}:bootstrap",
                    "memory": 512,
                    "portMappings": [{"containerPort": 8080, "hostPort": 0}],
                    "environment": [{"name": "SPRING_PROFILES_ACTIVE", "value": "prod"}],
                },
                {"name": "sidecar", "image": "fluent-bit:3", "memory": 64},
            ],
            volumes=[{"name": "logs", "host": {"sourcePath": "/var/log/dailyge"}}],
            tags=TAGS,
        )
        make_service(ecs, SERVICE, BREAKER)
        make_service(ecs, "no-breaker", {"deploymentCircuitBreaker": {"enable": False, "rollback": False}})
        with recording_api_calls(monkeypatch) as calls:
            yield calls


def ecs() -> Any:
    return boto3.client("ecs", region_name=REGION)


def repository_uri() -> str:
    ecr = boto3.client("ecr", region_name=REGION)
    return ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0]["repositoryUri"]


def digest(tag: str) -> str:
    return images.digest_of(images.manifest(REPOSITORY, tag, failing=tag == "broken"))


def revisions() -> list[str]:
    return ecs().list_task_definitions(familyPrefix="api")["taskDefinitionArns"]


def live_service(name: str = SERVICE) -> dict[str, Any]:
    return ecs().describe_services(cluster=CLUSTER, services=[name])["services"][0]


def definition(arn: str) -> dict[str, Any]:
    return ecs().describe_task_definition(taskDefinition=arn, include=["TAGS"])


def run(args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return run_module(ecs_release.main, args, **kwargs)


def test_releases_a_revision_that_differs_only_in_the_image(aws: ApiCalls, clock: FakeClock):
    old_arn = live_service()["taskDefinition"]
    result = run(ARGS)

    assert result["changed"] is True, result
    target = f"{repository_uri()}:good@{digest('good')}"
    assert aws.writes == ["RegisterTaskDefinition", "UpdateService"]
    assert len(revisions()) == 2
    service = live_service()
    new_arn = service["taskDefinition"]
    assert new_arn.endswith("task-definition/api:2")
    assert [(d["status"], d["rolloutState"]) for d in service["deployments"]] == [("PRIMARY", "COMPLETED")]
    assert clock.slept, "the module waited for the rollout"

    before, after = definition(old_arn), definition(new_arn)
    assert after["tags"] == TAGS
    old_def, new_def = before["taskDefinition"], after["taskDefinition"]
    assert new_def["containerDefinitions"][0]["image"] == target
    new_def["containerDefinitions"][0]["image"] = old_def["containerDefinitions"][0]["image"]
    for field in engine.REGISTRABLE_FIELDS:
        assert new_def.get(field) == old_def.get(field), field

    assert result["previous"] == {
        "task_definition_arn": old_arn,
        "revision": 1,
        "image": f"{repository_uri()}:bootstrap",
    }
    assert result["current"] == {
        "task_definition_arn": new_arn,
        "revision": 2,
        "image": target,
        "tag": "good",
        "digest": digest("good"),
    }
    assert result["diff"]["after"] == {"task_definition": "(new revision)", "image": target}


def test_releasing_the_running_tag_again_changes_nothing(aws: ApiCalls):
    first = run(ARGS)
    aws.clear()

    second = run(ARGS)

    assert second["changed"] is False, second
    assert aws.writes == []
    assert len(revisions()) == 2
    assert second["current"] == first["current"]
    assert second["diff"]["before"] == second["diff"]["after"]


def test_check_mode_shows_the_diff_and_writes_nothing(aws: ApiCalls):
    before = live_service()
    result = run(dict(ARGS, image_tag="other"), check_mode=True)

    assert result["changed"] is True, result
    assert aws.writes == []
    assert len(revisions()) == 1
    after = live_service()
    assert after["taskDefinition"] == before["taskDefinition"]
    assert [d["id"] for d in after["deployments"]] == [d["id"] for d in before["deployments"]]
    assert result["diff"]["before"]["image"] == f"{repository_uri()}:bootstrap"
    assert result["diff"]["after"] == {
        "task_definition": "(new revision)",
        "image": f"{repository_uri()}:other@{digest('other')}",
    }


def test_the_expected_digest_pins_the_release(aws: ApiCalls):
    result = run(dict(ARGS, expected_digest=digest("good")))
    assert result["changed"] is True, result


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"image_tag": "-rc1"}, "image_tag=-rc1 is not a valid image tag"),
        ({"image_tag": "v1 2"}, "image_tag=v1 2 is not a valid image tag"),
        ({"image_tag": "x" * 129}, "is not a valid image tag"),
        (
            {"image_tag": "LATEST"},
            "image_tag=LATEST is a moving tag: release an immutable tag (the build's commit) "
            f"of ECR repository {REPOSITORY}",
        ),
        ({"image_tag": "stable", "moving_tags": ["latest", "stable"]}, "image_tag=stable is a moving tag"),
        ({"image_tag": "nope"}, f"image_tag=nope is not in ECR repository {REPOSITORY}"),
        ({"repository": "missing"}, "image_tag=good is not in ECR repository missing"),
        ({"expected_digest": "sha256:" + "0" * 64}, f"is {digest('good')}, not the expected_digest sha256:000"),
        ({"service": "nope"}, f"service nope does not exist in ECS cluster {CLUSTER}"),
        ({"cluster": "elsewhere"}, f"service {SERVICE} does not exist in ECS cluster elsewhere"),
        ({"container": "web"}, "container=web is not a container of api:1"),
        ({"wait_timeout": -1}, "wait_timeout=-1 must be 0 or more seconds"),
    ],
)
@pytest.mark.parametrize("check_mode", [False, True])
def test_bad_input_is_refused_before_any_write(
    aws: ApiCalls, overrides: dict[str, Any], message: str, check_mode: bool
):
    result = run(dict(ARGS, **overrides), check_mode=check_mode)

    assert result["failed"] is True, result
    assert message in result["msg"]
    assert "\n" not in result["msg"]
    assert aws.writes == []
    assert len(revisions()) == 1


def test_a_deployment_the_circuit_breaker_rolls_back_fails_naming_the_revision_returned_to(aws: ApiCalls):
    old_arn = live_service()["taskDefinition"]
    result = run(dict(ARGS, image_tag="broken"))

    assert result["failed"] is True, result
    assert result["msg"] == (
        "the deployment of api:2 failed (ECS deployment circuit breaker: tasks failed to start.): the circuit "
        f"breaker returned service {SERVICE} to api:1 ({repository_uri()}:bootstrap, fluent-bit:3); api:2 deregistered"
    )
    assert live_service()["taskDefinition"] == old_arn
    assert aws.writes == ["RegisterTaskDefinition", "UpdateService", "DeregisterTaskDefinition"]
    # The newest ACTIVE revision is the running one again (Terraform's track_latest compares with it).
    assert ecs().describe_task_definition(taskDefinition="api")["taskDefinition"]["taskDefinitionArn"] == old_arn


def test_a_rollout_that_never_completes_times_out_naming_the_revision(aws: ApiCalls, clock: FakeClock):
    result = run(dict(ARGS, service="no-breaker", image_tag="broken", wait_timeout=30, wait_delay=5))

    assert result["failed"] is True, result
    assert result["msg"] == (
        "the deployment of api:2 (image_tag=broken) to service no-breaker is still IN_PROGRESS after 30 s "
        "(wait_timeout)"
    )
    assert clock.now_s == 30
    assert clock.slept == [5] * 6


def test_the_circuit_breaker_without_rollback_fails_the_release(aws: ApiCalls):
    ecs().update_service(
        cluster=CLUSTER,
        service=SERVICE,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
    )
    result = run(dict(ARGS, image_tag="broken"))
    assert result["failed"] is True
    assert result["msg"].startswith("the deployment of api:2 failed (ECS deployment circuit breaker")
    assert "was not rolled back" in result["msg"]


@pytest.mark.parametrize(
    ("deployments", "state"),
    [
        ([{"status": "PRIMARY", "taskDefinition": "new", "rolloutState": "COMPLETED"}], "completed"),
        ([{"status": "PRIMARY", "taskDefinition": "new", "rolloutState": "IN_PROGRESS"}], "in_progress"),
        ([{"status": "PRIMARY", "taskDefinition": "new", "rolloutState": "FAILED"}], "failed"),
        (
            [
                {"status": "PRIMARY", "taskDefinition": "old", "rolloutState": "IN_PROGRESS"},
                {"status": "ACTIVE", "taskDefinition": "new", "rolloutState": "FAILED"},
            ],
            "failed",
        ),
        ([{"status": "PRIMARY", "taskDefinition": "old", "rolloutState": "COMPLETED"}], "failed"),
    ],
)
def test_deployment_state(deployments: list[dict[str, Any]], state: str):
    assert engine.deployment_state({"deployments": deployments}, "new")[0] == state
