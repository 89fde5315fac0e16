"""dailyge.infra.ecs_task_targets: every running ECS task on its dynamic host port, as file_sd.

moto runs in-process with the emulator's ECS compatibility patches (dynamic host ports, tasks that
stay RUNNING, ListTasks by service, the 100-ARN describe limits), undone after each test.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dailyge.infra.plugins.module_utils import ecs_targets
from ansible_collections.dailyge.infra.plugins.modules import ecs_task_targets
from moto import mock_aws
from moto.ecs import models as ecs_models
from moto.moto_api import state_manager

from emulator import patches

REGION = "ap-northeast-2"
CLUSTER = "dailyge-test"
ROLE_FILES = Path(__file__).resolve().parents[2] / "roles" / "prometheus" / "files"


@pytest.fixture
def cron_script(monkeypatch: pytest.MonkeyPatch) -> Any:
    """roles/prometheus/files/refresh_ecs_targets.py as cron runs it: ecs_targets.py imported from beside it."""
    monkeypatch.syspath_prepend(str(ROLE_FILES))
    spec = importlib.util.spec_from_file_location("refresh_ecs_targets", ROLE_FILES / "refresh_ecs_targets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def apply_ecs_patches(stack: ExitStack) -> None:
    """Apply the emulator's ECS patches to in-process moto, restoring moto's own code afterwards."""
    backend = ecs_models.EC2ContainerServiceBackend
    saved = {
        (backend, name): backend.__dict__[name]
        for name in ("_calculate_task_resource_requirements", "list_tasks", "describe_tasks")
    }
    saved[(backend, "describe_container_instances")] = backend.__dict__["describe_container_instances"]
    saved[(ecs_models.Task, "__init__")] = ecs_models.Task.__dict__["__init__"]

    def restore() -> None:
        for (owner, name), value in saved.items():
            setattr(owner, name, value)
        state_manager.unset_transition("ecs::task")

    stack.callback(restore)
    for patch in (
        patches.ecs_tasks_stay_running,
        patches.ecs_dynamic_host_ports,
        patches.ecs_list_tasks_by_service,
        patches.ecs_describe_limits,
    ):
        patch()


class Ecs:
    """A cluster with EC2 container instances and bridge-mode services on dynamic host ports."""

    def __init__(self) -> None:
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.ecs = boto3.client("ecs", region_name=REGION)
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.instances: list[dict[str, Any]] = []
        self.container_instances: list[str] = []
        for service in ("api", "admin"):
            self.ecs.register_task_definition(
                family=service,
                networkMode="bridge",
                containerDefinitions=[
                    {
                        "name": service,
                        "image": "dailyge/api:1",
                        "cpu": 16,
                        "memory": 64,
                        "portMappings": [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}],
                    }
                ],
            )
            self.ecs.create_service(cluster=CLUSTER, serviceName=service, taskDefinition=service, desiredCount=0)

    def add_instances(self, count: int) -> None:
        zones = [f"{REGION}a", f"{REGION}c"]
        for index in range(count):
            zone = zones[(len(self.instances) + index) % 2]
            found = self.ec2.run_instances(
                ImageId="ami-12c6146b", MinCount=1, MaxCount=1, Placement={"AvailabilityZone": zone}
            )["Instances"][0]
            self.instances.append(found)
            document = json.dumps({"instanceId": found["InstanceId"]})
            answer = self.ecs.register_container_instance(cluster=CLUSTER, instanceIdentityDocument=document)
            self.container_instances.append(answer["containerInstance"]["containerInstanceArn"])

    def start(self, service: str, instance_indexes: list[int]) -> list[dict[str, Any]]:
        return self.ecs.start_task(
            cluster=CLUSTER,
            taskDefinition=service,
            containerInstances=[self.container_instances[index] for index in instance_indexes],
            group=f"service:{service}",
            startedBy="ecs-svc/0123456789",
        )["tasks"]


@pytest.fixture
def ecs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ecs]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        apply_ecs_patches(stack)
        cluster = Ecs()
        cluster.add_instances(2)
        yield cluster


def run_module(args: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    with patch_module_args({"region": REGION, **args}), pytest.raises(SystemExit):
        ecs_task_targets.main()
    return json.loads(capsys.readouterr().out)


def private_ip(ecs: Ecs, index: int) -> str:
    return ecs.instances[index]["PrivateIpAddress"]


def test_targets_are_every_task_on_its_dynamic_host_port(ecs: Ecs, tmp_path: Path, capsys):
    api = ecs.start("api", [0, 0, 1])
    ecs.start("admin", [1])
    dest = tmp_path / "ecs.json"

    result = run_module({"cluster": CLUSTER, "services": ["api"], "dest": str(dest), "labels": {"env": "test"}}, capsys)

    assert result["changed"] is True
    written = json.loads(dest.read_text())
    assert written == result["targets"]
    assert len(written) == 3, "the admin task is not a target of the api service"
    by_task = {group["labels"]["task_id"]: group for group in written}
    for task in api:
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        index = ecs.container_instances.index(task["containerInstanceArn"])
        port = task["containers"][0]["networkBindings"][0]["hostPort"]
        assert 32768 <= port <= 60999
        assert by_task[task_id]["targets"] == [f"{private_ip(ecs, index)}:{port}"]
        assert by_task[task_id]["labels"] == {
            "env": "test",
            "cluster": CLUSTER,
            "service": "api",
            "task_id": task_id,
            "task_definition": "api:1",
            "availability_zone": ecs.instances[index]["Placement"]["AvailabilityZone"],
            "instance_id": ecs.instances[index]["InstanceId"],
        }
    two_on_one_host = [
        group["targets"][0] for group in written if group["labels"]["instance_id"] == ecs.instances[0]["InstanceId"]
    ]
    assert len(set(two_on_one_host)) == 2, "two tasks on one host have two different ports"
    assert result["api_calls"] == {
        "ListTasks": 1,
        "DescribeTasks": 1,
        "DescribeContainerInstances": 1,
        "DescribeInstances": 1,
    }


def test_check_mode_reports_the_change_and_writes_nothing(ecs: Ecs, tmp_path: Path, capsys):
    ecs.start("api", [0])
    dest = tmp_path / "ecs.json"

    result = run_module(
        {
            "cluster": CLUSTER,
            "services": ["api"],
            "dest": str(dest),
            "_ansible_check_mode": True,
            "_ansible_diff": True,
        },
        capsys,
    )

    assert result["changed"] is True
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == [], "no temporary file left behind either"
    assert result["diff"]["before"] == ""
    assert json.loads(result["diff"]["after"]) == result["targets"]


def test_second_run_changes_nothing_and_leaves_the_file_alone(ecs: Ecs, tmp_path: Path, capsys):
    ecs.start("api", [0, 1])
    dest = tmp_path / "ecs.json"
    args = {"cluster": CLUSTER, "services": ["api", "admin"], "dest": str(dest), "mode": "0644"}
    assert run_module(args, capsys)["changed"] is True
    inode, mtime = dest.stat().st_ino, dest.stat().st_mtime_ns

    again = run_module({**args, "_ansible_diff": True}, capsys)

    assert again["changed"] is False
    assert "diff" not in again
    assert (dest.stat().st_ino, dest.stat().st_mtime_ns) == (inode, mtime)
    assert oct(dest.stat().st_mode & 0o777) == "0o644"


def test_a_stopped_task_leaves_and_a_new_one_joins(ecs: Ecs, tmp_path: Path, capsys):
    first, second = ecs.start("api", [0, 1])
    dest = tmp_path / "ecs.json"
    run_module({"cluster": CLUSTER, "services": ["api"], "dest": str(dest)}, capsys)

    ecs.ecs.stop_task(cluster=CLUSTER, task=first["taskArn"], reason="deploy")
    (third,) = ecs.start("api", [0])
    result = run_module({"cluster": CLUSTER, "services": ["api"], "dest": str(dest), "_ansible_diff": True}, capsys)

    assert result["changed"] is True
    ids = {group["labels"]["task_id"] for group in json.loads(dest.read_text())}
    assert ids == {second["taskArn"].rsplit("/", 1)[-1], third["taskArn"].rsplit("/", 1)[-1]}
    assert first["taskArn"].rsplit("/", 1)[-1] in result["diff"]["before"]


def test_describe_calls_are_batched_by_100_across_services(ecs: Ecs, tmp_path: Path, capsys):
    ecs.add_instances(3)  # 5 container instances
    for _ in range(26):
        ecs.start("api", [0, 1, 2, 3, 4])  # 130 api tasks
    for _ in range(16):
        ecs.start("admin", [0, 1, 2, 3, 4])  # 80 admin tasks

    result = run_module({"cluster": CLUSTER, "services": ["api", "admin"], "dest": str(tmp_path / "t.json")}, capsys)

    assert result["task_count"] == 210
    assert result["api_calls"] == {
        "ListTasks": 2,
        "DescribeTasks": 3,  # ceil(210 / 100), not one per service
        "DescribeContainerInstances": 1,
        "DescribeInstances": 1,
    }


def test_no_running_task_writes_an_empty_target_list(ecs: Ecs, tmp_path: Path, capsys):
    dest = tmp_path / "ecs.json"
    result = run_module({"cluster": CLUSTER, "services": ["api"], "dest": str(dest)}, capsys)
    assert result["changed"] is True
    assert json.loads(dest.read_text()) == []
    assert result["api_calls"] == {"ListTasks": 1}


def test_a_task_without_a_bound_port_is_skipped_with_its_reason():
    task = {
        "taskArn": "arn:aws:ecs:ap-northeast-2:1:task/c/abc",
        "group": "service:api",
        "lastStatus": "RUNNING",
        "containers": [{"name": "api", "networkBindings": []}],
    }
    assert ecs_targets.host_port(task, 8080, None) is None
    task["containers"][0]["networkBindings"] = [{"containerPort": 8080, "hostPort": 32999, "protocol": "tcp"}]
    assert ecs_targets.host_port(task, 8080, "api") == 32999
    assert ecs_targets.host_port(task, 8080, "sidecar") is None
    assert ecs_targets.host_port(task, 9090, None) is None


def test_an_unknown_cluster_fails_with_one_line(ecs: Ecs, tmp_path: Path, capsys):
    dest = tmp_path / "ecs.json"
    result = run_module({"cluster": "nope", "services": ["api"], "dest": str(dest)}, capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("Could not list the tasks of ['api'] in nope")
    assert not dest.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"services": []}, "services must name at least one ECS service"),
        ({"container_port": 0}, "container_port must be a port number (1-65535), got 0"),
        ({"dest": "/nonexistent/folder/ecs.json"}, "the folder of dest does not exist: /nonexistent/folder"),
    ],
)
def test_bad_input_fails_before_any_call(ecs: Ecs, tmp_path: Path, capsys, args, message):
    base = {"cluster": CLUSTER, "services": ["api"], "dest": str(tmp_path / "ecs.json")}
    result = run_module({**base, **args}, capsys)
    assert result["failed"] is True
    assert result["msg"] == message


def test_the_cron_script_writes_the_same_file_as_the_module(ecs: Ecs, tmp_path: Path, capsys, cron_script):
    ecs.start("api", [0, 1])
    by_module, by_script = tmp_path / "module.json", tmp_path / "script.json"
    run_module({"cluster": CLUSTER, "services": ["api"], "dest": str(by_module), "labels": {"env": "t"}}, capsys)

    code = cron_script.main(
        ["--cluster", CLUSTER, "--service", "api", "--dest", str(by_script), "--label", "env=t", "--region", REGION]
    )
    first_line = capsys.readouterr().out
    code_again = cron_script.main(
        ["--cluster", CLUSTER, "--service", "api", "--dest", str(by_script), "--label", "env=t", "--region", REGION]
    )

    assert (code, code_again) == (0, 0)
    assert by_script.read_text() == by_module.read_text()
    assert "2 targets" in first_line and "written" in first_line
    assert capsys.readouterr().out.rstrip().endswith("unchanged")


def test_the_cron_script_reports_a_failure_and_keeps_the_old_file(ecs: Ecs, tmp_path: Path, capsys, cron_script):
    dest = tmp_path / "ecs.json"
    dest.write_text("[]\n")
    code = cron_script.main(["--cluster", "nope", "--service", "api", "--dest", str(dest), "--region", REGION])
    assert code == 1
    assert "refresh of" in capsys.readouterr().err
    assert dest.read_text() == "[]\n"
