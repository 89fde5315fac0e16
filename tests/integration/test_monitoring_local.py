"""The monitoring play in `local`: real Prometheus, Alertmanager and exporters on this machine.

A fresh emulator gets what the Terraform stack will hold (an ECS cluster with the API service on
dynamic host ports), one EC2 container instance and two running API tasks. playbooks/monitoring.yml
then converges this machine with that `stack`; Prometheus's target list must show both tasks on
their dynamic host ports (down: no application runs here, which is the honest state). A task
replaced later is picked up by the cron refresh (run here as cron would run it). The play run
again changes nothing, and so does a --check run.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import Emulator, PlaybookRun, run_playbook, start_emulator

from emulator import launcher

pytestmark = pytest.mark.integration

PROMETHEUS = "http://127.0.0.1:9090"
CLUSTER = "dailyge-local"
SERVICE = "dailyge-local-api"
CRON_FILE = Path("/etc/cron.d/dailyge-ecs-targets")
TARGETS_FILE = Path("/etc/prometheus/file_sd/ecs_tasks.json")


@dataclass
class Monitored:
    emulator: Emulator
    stack: dict[str, Any]
    first: PlaybookRun
    instance_ip: str

    def run(self, *args: str) -> PlaybookRun:
        return run_playbook(
            "playbooks/monitoring.yml",
            "-i",
            "inventories/local",
            "-e",
            json.dumps({"stack": self.stack}),
            *args,
            env=self.emulator.env,
        )

    def start_api_tasks(self, count: int) -> list[dict[str, Any]]:
        return self.emulator.client("ecs").run_task(
            cluster=CLUSTER,
            taskDefinition=SERVICE,
            count=count,
            launchType="EC2",
            group=f"service:{SERVICE}",
            startedBy="ecs-svc/0123456789",
        )["tasks"]


def ecs_world(emulator: Emulator) -> str:
    """The ECS part of the stack, one container instance; returns the instance's private IP."""
    ec2, ecs = emulator.client("ec2"), emulator.client("ecs")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.small")["Instances"][
        0
    ]
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_container_instance(
        cluster=CLUSTER, instanceIdentityDocument=json.dumps({"instanceId": instance["InstanceId"]})
    )
    ecs.register_task_definition(
        family=SERVICE,
        networkMode="bridge",
        containerDefinitions=[
            {
                "name": "api",
                "image": "dailyge/api:local",
                "cpu": 256,
                "memory": 512,
                "portMappings": [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}],
            }
        ],
    )
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=SERVICE, desiredCount=2)
    return instance["PrivateIpAddress"]


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    running = start_emulator(tmp_path_factory.mktemp("monitoring-state"))
    try:
        address = ecs_world(running)
        stack = {
            "environment": "local",
            "ecs_cluster_name": CLUSTER,
            "ecs_service_name": SERVICE,
            "ecs_service_names": [SERVICE],
            "rds_instance_identifier": "dailyge-local",
        }
        world = Monitored(running, stack, PlaybookRun(1, "", "", {}), address)
        world.start_api_tasks(2)
        world.first = world.run()
        yield world
    finally:
        launcher.stop(running.settings)


def get(path: str) -> dict[str, Any]:
    with urllib.request.urlopen(PROMETHEUS + path, timeout=10) as answer:
        return json.loads(answer.read())


def application_targets(wanted: int, timeout: float = 60) -> list[dict[str, Any]]:
    """Prometheus's application targets once `wanted` of them have been scraped at least once."""
    deadline = time.monotonic() + timeout
    targets: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        targets = [t for t in get("/api/v1/targets")["data"]["activeTargets"] if t["labels"]["job"] == "application"]
        if len(targets) == wanted and all(t["health"] != "unknown" for t in targets):
            return targets
        time.sleep(1)
    raise AssertionError(f"Prometheus has {len(targets)} application targets, wanted {wanted} scraped: {targets}")


def host_ports(tasks: list[dict[str, Any]]) -> dict[str, int]:
    return {
        task["taskArn"].rsplit("/", 1)[-1]: task["containers"][0]["networkBindings"][0]["hostPort"] for task in tasks
    }


def running_tasks(world: Monitored) -> list[dict[str, Any]]:
    ecs = world.emulator.client("ecs")
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE, desiredStatus="RUNNING")["taskArns"]
    return ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]


def test_the_monitoring_play_converges(monitored: Monitored):
    assert monitored.first.returncode == 0, monitored.first.failure_messages() or monitored.first.stdout[-3000:]
    with urllib.request.urlopen(PROMETHEUS + "/-/ready", timeout=10) as answer:
        assert answer.status == 200


def test_prometheus_lists_both_api_tasks_on_their_dynamic_ports(monitored: Monitored):
    expected = host_ports(running_tasks(monitored))
    assert len(expected) == 2 and len(set(expected.values())) == 2, "two tasks, two host ports on one host"

    targets = application_targets(2)

    found = {t["labels"]["task_id"]: t for t in targets}
    assert set(found) == set(expected)
    for task_id, port in expected.items():
        target = found[task_id]
        assert target["labels"]["instance"] == f"{monitored.instance_ip}:{port}"
        assert target["scrapeUrl"] == f"http://{monitored.instance_ip}:{port}/actuator/prometheus"
        assert target["labels"]["service"] == SERVICE
        assert target["labels"]["cluster"] == CLUSTER
        assert target["labels"]["env"] == "local"
        assert target["labels"]["task_definition"] == f"{SERVICE}:1"
        assert target["health"] == "down", "no application runs here: the honest state is down"


def test_the_other_targets_are_healthy_and_the_rules_loaded(monitored: Monitored):
    deadline = time.monotonic() + 90  # a job added by this converge is scraped within its interval (30 s at most)
    while True:
        targets = get("/api/v1/targets")["data"]["activeTargets"]
        health = {t["labels"]["job"]: t["health"] for t in targets if t["labels"]["job"] != "application"}
        if "unknown" not in health.values() or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert health == {
        "prometheus": "up",
        "alertmanager": "up",
        "node": "up",
        "mysqld": "up",
        "redis": "up",
    }, health  # no mongodb job in local: there is no MongoDB server (db_exporters_mongodb_enabled: false)
    rules = {rule["name"] for group in get("/api/v1/rules")["data"]["groups"] for rule in group["rules"]}
    assert {"TargetDown", "HostHighCpu", "JvmHeapHigh", "Http5xxRatioHigh", "ScheduledJobFailed"} <= rules
    alertmanagers = get("/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
    assert [am["url"] for am in alertmanagers] == ["http://127.0.0.1:9093/api/v2/alerts"]


def test_the_cron_refresh_follows_a_replaced_task(monitored: Monitored):
    ecs = monitored.emulator.client("ecs")
    old = running_tasks(monitored)[0]
    ecs.stop_task(cluster=CLUSTER, task=old["taskArn"], reason="replaced by the test")
    (new,) = monitored.start_api_tasks(1)

    lines = CRON_FILE.read_text().splitlines()
    environment = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    job = next(line for line in lines if "ecs_targets.py" in line)
    command = job.split("prometheus", 1)[1].strip()  # "*/1 * * * * prometheus <command>"
    refreshed = subprocess.run(
        ["su", "prometheus", "-s", "/bin/sh", "-c", command],
        env={"PATH": "/usr/bin:/bin", **{key: value.strip('"') for key, value in environment.items()}},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refreshed.returncode == 0, refreshed.stderr
    # cron itself may have refreshed first: then this run finds the file already right ("unchanged")
    assert (
        "ecs_targets: 2 targets (0 skipped)" in Path("/var/log/prometheus/ecs_targets.log").read_text().splitlines()[-1]
    )
    assert new["taskArn"].rsplit("/", 1)[-1] in TARGETS_FILE.read_text()

    expected = host_ports(running_tasks(monitored))
    assert new["taskArn"].rsplit("/", 1)[-1] in expected
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = {t["labels"]["task_id"] for t in application_targets(2)}
        if found == set(expected):
            break
        time.sleep(1)
    assert found == set(expected)
    assert old["taskArn"].rsplit("/", 1)[-1] not in TARGETS_FILE.read_text()


def test_a_second_run_changes_nothing(monitored: Monitored):
    again = monitored.run()
    assert again.returncode == 0, again.failure_messages()
    assert again.changed == 0, again.changed_tasks()


def test_a_check_run_changes_nothing(monitored: Monitored):
    checked = monitored.run("--check")
    assert checked.returncode == 0, checked.failure_messages()
    assert checked.changed == 0, checked.changed_tasks()
