"""The emulator's ECS deployment patch (emulator/patches.py, ecs_deployments_roll_out_as_aws_does) in-process.

Each test runs against moto with the patch (the AWS behaviour the docstring describes) and against
stock moto, where it must fail (strict xfail): the proof that a release waiting for its rollout
would have passed in the emulator for the wrong reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from module_harness import fake_aws_environment
from moto import mock_aws

from emulator import images, patches

REGION = "ap-northeast-2"
CLUSTER = "deploys"
REPOSITORY = "dailyge-api"
BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200}


@pytest.fixture(
    params=[
        "aws",
        pytest.param("stock", marks=pytest.mark.xfail(strict=True, reason="stock moto is laxer than AWS")),
    ]
)
def clients(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    fake_aws_environment(monkeypatch, REGION)
    if request.param == "aws":
        request.getfixturevalue("ecs_as_aws")
    with mock_aws():
        ecs, ecr = boto3.client("ecs", region_name=REGION), boto3.client("ecr", region_name=REGION)
        ecs.create_cluster(clusterName=CLUSTER)
        ecr.create_repository(repositoryName=REPOSITORY, imageTagMutability="IMMUTABLE")
        yield ecs, ecr


def revision(ecs: Any, image: str) -> str:
    definition = ecs.register_task_definition(
        family="api", containerDefinitions=[{"name": "api", "image": image, "memory": 64}]
    )
    return definition["taskDefinition"]["taskDefinitionArn"]


def service(ecs: Any, name: str = "api", breaker: dict[str, Any] | None = None) -> dict[str, Any]:
    first = revision(ecs, "api:bootstrap")
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=name,
        taskDefinition=first,
        desiredCount=2,
        deploymentConfiguration=breaker or BREAKER,
    )
    return describe(ecs, name)


def describe(ecs: Any, name: str = "api") -> dict[str, Any]:
    return ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]


def states(found: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(d["status"], d["rolloutState"], d["taskDefinition"].rsplit("/", 1)[1]) for d in found["deployments"]]


def pushed_image(ecr: Any, tag: str, failing: bool = False) -> str:
    digest = images.push_image(ecr, REPOSITORY, tag, failing=failing).digest
    uri = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0]["repositoryUri"]
    return f"{uri}:{tag}@{digest}"


def test_a_new_service_has_one_completed_primary_deployment(clients):
    ecs, _ = clients
    found = service(ecs)
    assert states(found) == [("PRIMARY", "COMPLETED", "api:1")]
    assert found["deployments"][0]["runningCount"] == 2


def test_a_new_task_definition_rolls_out_then_completes_and_drains_the_old_one(clients):
    ecs, ecr = clients
    service(ecs)
    second = revision(ecs, pushed_image(ecr, "good"))
    updated = ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=second)["service"]

    assert states(updated) == [("PRIMARY", "IN_PROGRESS", "api:2"), ("ACTIVE", "COMPLETED", "api:1")]
    assert updated["deployments"][0]["runningCount"] == 0
    for _ in range(patches.ECS_ROLLOUT_DESCRIBES):
        assert states(describe(ecs))[0] == ("PRIMARY", "IN_PROGRESS", "api:2")
    done = describe(ecs)
    assert states(done) == [("PRIMARY", "COMPLETED", "api:2")]
    assert done["deployments"][0]["runningCount"] == 2
    assert done["taskDefinition"] == second


def test_a_failing_image_is_rolled_back_by_the_circuit_breaker(clients):
    ecs, ecr = clients
    first = service(ecs)["taskDefinition"]
    bad = revision(ecs, pushed_image(ecr, "broken", failing=True))
    ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=bad)
    for _ in range(patches.ECS_ROLLOUT_DESCRIBES):
        describe(ecs)

    rolled_back = describe(ecs)
    assert states(rolled_back) == [("PRIMARY", "COMPLETED", "api:1"), ("ACTIVE", "FAILED", "api:2")]
    failed = rolled_back["deployments"][1]
    assert failed["rolloutStateReason"] == patches.CIRCUIT_BREAKER_REASON
    assert failed["failedTasks"] > 0
    assert rolled_back["taskDefinition"] == first
    assert states(describe(ecs)) == [("PRIMARY", "COMPLETED", "api:1")]


def test_without_a_circuit_breaker_a_failing_rollout_never_ends(clients):
    ecs, ecr = clients
    service(ecs, breaker={"deploymentCircuitBreaker": {"enable": False, "rollback": False}})
    bad = revision(ecs, pushed_image(ecr, "broken", failing=True))
    ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=bad)
    for _ in range(patches.ECS_ROLLOUT_DESCRIBES + 3):
        found = describe(ecs)
    assert states(found)[0] == ("PRIMARY", "IN_PROGRESS", "api:2")
    assert found["deployments"][0]["failedTasks"] > 0


def test_force_new_deployment_starts_a_deployment_of_the_same_revision(clients):
    ecs, _ = clients
    service(ecs)
    updated = ecs.update_service(cluster=CLUSTER, service="api", forceNewDeployment=True)["service"]
    assert states(updated) == [("PRIMARY", "IN_PROGRESS", "api:1"), ("ACTIVE", "COMPLETED", "api:1")]


def test_a_desired_count_change_alone_starts_no_deployment(clients):
    ecs, _ = clients
    service(ecs)
    updated = ecs.update_service(cluster=CLUSTER, service="api", desiredCount=3)["service"]
    assert states(updated) == [("PRIMARY", "COMPLETED", "api:1")]
    assert updated["deployments"][0]["desiredCount"] == 3


def test_a_family_describes_as_its_latest_active_revision(clients):
    ecs, _ = clients
    first, second = revision(ecs, "api:one"), revision(ecs, "api:two")
    assert ecs.describe_task_definition(taskDefinition="api")["taskDefinition"]["taskDefinitionArn"] == second
    ecs.deregister_task_definition(taskDefinition=second)  # a release rolled back by the circuit breaker
    assert ecs.describe_task_definition(taskDefinition="api")["taskDefinition"]["taskDefinitionArn"] == first
    assert ecs.describe_task_definition(taskDefinition=second)["taskDefinition"]["status"] == "INACTIVE"
