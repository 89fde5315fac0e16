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
