"""The emulator's ECS patches for dynamic-port discovery, shown with boto3 against the real emulator.

Each test asserts the AWS behaviour its patch restores (docstrings in emulator/patches.py); with
moto's own behaviour it fails.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

CLUSTER = "patches-ecs"


@pytest.fixture(scope="module")
def ecs(emulator):
    ec2, client = emulator.client("ec2"), emulator.client("ecs")
    client.create_cluster(clusterName=CLUSTER)
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
    client.register_container_instance(
        cluster=CLUSTER, instanceIdentityDocument=json.dumps({"instanceId": instance["InstanceId"]})
    )
    for family, host_port in (("api", 0), ("fixed", 8081)):
        client.register_task_definition(
            family=family,
            networkMode="bridge",
            containerDefinitions=[
                {
                    "name": family,
                    "image": "x",
                    "cpu": 16,
                    "memory": 32,
                    "portMappings": [{"containerPort": 8080, "hostPort": host_port}],
                }
            ],
        )
    return client


def run(ecs, family: str, count: int, service: str = "api") -> list[dict]:
    return ecs.run_task(
        cluster=CLUSTER, taskDefinition=family, count=count, launchType="EC2", group=f"service:{service}"
    )["tasks"]


def test_bridge_tasks_share_a_host_on_distinct_ephemeral_ports(ecs):
    tasks = run(ecs, "api", 3)
    assert len(tasks) == 3, "hostPort 0 reserves no port: three tasks fit on one instance"
    ports = [task["containers"][0]["networkBindings"][0]["hostPort"] for task in tasks]
    assert len(set(ports)) == 3
    assert all(32768 <= port <= 60999 for port in ports)
    assert tasks[0]["containers"][0]["networkBindings"][0]["containerPort"] == 8080
    (fixed,) = run(ecs, "fixed", 1, service="fixed")
    assert fixed["containers"][0]["networkBindings"][0]["hostPort"] == 8081


def test_a_running_task_stays_running_until_stopped(ecs):
    (task,) = run(ecs, "api", 1)
    for _ in range(6):
        (seen,) = ecs.describe_tasks(cluster=CLUSTER, tasks=[task["taskArn"]])["tasks"]
        assert seen["lastStatus"] == "RUNNING"
    ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
    (seen,) = ecs.describe_tasks(cluster=CLUSTER, tasks=[task["taskArn"]])["tasks"]
    assert seen["lastStatus"] == "STOPPED"


def test_list_tasks_filters_by_service(ecs):
    (other,) = run(ecs, "api", 1, service="admin")
    admin = ecs.list_tasks(cluster=CLUSTER, serviceName="admin")["taskArns"]
    api = ecs.list_tasks(cluster=CLUSTER, serviceName="api")["taskArns"]
    assert admin == [other["taskArn"]]
    assert other["taskArn"] not in api and api


def test_describe_takes_at_most_100_arns(ecs):
    arns = [f"arn:aws:ecs:ap-northeast-2:123456789012:task/{CLUSTER}/{index:032x}" for index in range(101)]
    with pytest.raises(ClientError, match="InvalidParameterException"):
        ecs.describe_tasks(cluster=CLUSTER, tasks=arns)
    with pytest.raises(ClientError, match="InvalidParameterException"):
        ecs.describe_container_instances(cluster=CLUSTER, containerInstances=arns)
    assert ecs.describe_tasks(cluster=CLUSTER, tasks=arns[:100])["tasks"] == []


def test_a_release_rolls_out_and_a_failing_image_is_rolled_back_over_the_server(emulator, ecs):
    """ecs_deployments_roll_out_as_aws_does with every other patch, over HTTP, images pushed as push-image does."""
    from emulator import images, patches

    ecr = emulator.client("ecr")
    ecr.create_repository(repositoryName="release-api", imageTagMutability="IMMUTABLE")
    uri = ecr.describe_repositories(repositoryNames=["release-api"])["repositories"][0]["repositoryUri"]

    def revision(tag: str, failing: bool = False) -> str:
        digest = images.push_image(ecr, "release-api", tag, failing=failing).digest
        return ecs.register_task_definition(
            family="release",
            networkMode="bridge",
            containerDefinitions=[{"name": "api", "image": f"{uri}:{tag}@{digest}", "cpu": 16, "memory": 32}],
        )["taskDefinition"]["taskDefinitionArn"]

    def rollout() -> list[tuple[str, str, str]]:
        (found,) = ecs.describe_services(cluster=CLUSTER, services=["release"])["services"]
        return [(d["status"], d["rolloutState"], d["taskDefinition"].rsplit(":", 1)[1]) for d in found["deployments"]]

    first = revision("one")
    ecs.create_service(
        cluster=CLUSTER,
        serviceName="release",
        taskDefinition=first,
        desiredCount=1,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    assert rollout() == [("PRIMARY", "COMPLETED", "1")]

    ecs.update_service(cluster=CLUSTER, service="release", taskDefinition=revision("two"))
    seen = [rollout() for _ in range(patches.ECS_ROLLOUT_DESCRIBES + 1)]
    assert seen[0] == [("PRIMARY", "IN_PROGRESS", "2"), ("ACTIVE", "COMPLETED", "1")]
    assert seen[-1] == [("PRIMARY", "COMPLETED", "2")]

    ecs.update_service(cluster=CLUSTER, service="release", taskDefinition=revision("bad", failing=True))
    seen = [rollout() for _ in range(patches.ECS_ROLLOUT_DESCRIBES + 2)]
    assert seen[-2] == [("PRIMARY", "COMPLETED", "2"), ("ACTIVE", "FAILED", "3")]
    assert seen[-1] == [("PRIMARY", "COMPLETED", "2")]
    (found,) = ecs.describe_services(cluster=CLUSTER, services=["release"])["services"]
    assert found["taskDefinition"].endswith("release:2")
