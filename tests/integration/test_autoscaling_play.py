"""playbooks/autoscaling.yml and the module through real ansible against the emulator (recording on).

The ECS service is created with boto3 and the `stack` is given as an extra variable, so these tests
need no Terraform converge. They prove: the change, check mode without a write (and that
community.aws.application_autoscaling_policy writes in check mode), idempotence without a write,
state absent, and one-line errors for unknown names.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from support import REPO_ROOT, Emulator, ansible_env, run_playbook, start_emulator

from emulator import launcher, recording

pytestmark = pytest.mark.integration

CLUSTER = "dailyge-it"
DIMENSION = "ecs:service:DesiredCount"


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    running = start_emulator(tmp_path_factory.mktemp("autoscaling"), {"MOTO_ENABLE_RECORDING": "true"})
    try:
        ecs = running.client("ecs")
        ecs.create_cluster(clusterName=CLUSTER)
        ecs.register_task_definition(
            family="api", containerDefinitions=[{"name": "api", "image": "api:1", "memory": 512}]
        )
        for service in ("api", "community", "ours", "absent"):
            ecs.create_service(cluster=CLUSTER, serviceName=service, taskDefinition="api", desiredCount=1)
        yield running
    finally:
        launcher.stop(running.settings)


def stack(service: str, low: int = 1, high: int = 4) -> str:
    return json.dumps(
        {
            "stack": {
                "ecs_cluster_name": CLUSTER,
                "ecs_service_name": service,
                "ecs_service_min_capacity": low,
                "ecs_service_max_capacity": high,
            }
        }
    )


def play(aws: Emulator, service: str, *args: str, **bounds: int):
    recording.reset(aws.endpoint)
    run = run_playbook(
        "playbooks/autoscaling.yml", "-i", "inventories/local", "-e", stack(service, **bounds), *args, env=aws.env
    )
    return run, recording.summarise(recording.calls(aws.endpoint))


def target(aws: Emulator, service: str) -> dict[str, Any] | None:
    found = aws.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{CLUSTER}/{service}"], ScalableDimension=DIMENSION
    )["ScalableTargets"]
    return found[0] if found else None


def policies(aws: Emulator, service: str) -> list[dict[str, Any]]:
    return aws.client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId=f"service/{CLUSTER}/{service}", ScalableDimension=DIMENSION
    )["ScalingPolicies"]


def adhoc(aws: Emulator, module: str, args: dict[str, Any], *flags: str) -> subprocess.CompletedProcess[str]:
    """One module run with `ansible localhost -m` (the environment of the local inventory)."""
    env = ansible_env(aws.env) | {
        "AWS_ENDPOINT_URL": aws.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "ap-northeast-2",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal",
    }
    command = ["ansible", "localhost", "-i", "inventories/local", "-m", module, "-a", json.dumps(args), *flags]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_check_mode_reports_the_change_and_writes_nothing(aws: Emulator):
    run, calls = play(aws, "api", "--check", "--diff")

    assert run.returncode == 0, run.failure_messages() or run.stderr[-2000:]
    assert run.changed == 1
    assert calls["writes"] == 0, calls["write_calls"]
    assert calls["reads"] >= 3
    assert target(aws, "api") is None


def test_the_play_registers_the_target_and_the_75_percent_policy(aws: Emulator):
    run, calls = play(aws, "api")

    assert run.returncode == 0, run.failure_messages() or run.stderr[-2000:]
    assert run.changed == 1
    assert calls["write_calls"] == {
        "application-autoscaling:RegisterScalableTarget": 1,
        "application-autoscaling:PutScalingPolicy": 1,
    }
    found = target(aws, "api")
    assert (found["MinCapacity"], found["MaxCapacity"]) == (1, 4)
    [policy] = policies(aws, "api")
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert (config["TargetValue"], config["ScaleInCooldown"], config["ScaleOutCooldown"]) == (75.0, 60, 60)


def test_a_second_run_changes_nothing_and_only_reads(aws: Emulator):
    play(aws, "api")
    arn = policies(aws, "api")[0]["PolicyARN"]
    alarms = aws.client("cloudwatch").describe_alarms()["MetricAlarms"]

    run, calls = play(aws, "api")

    assert run.returncode == 0
    assert run.changed == 0, run.changed_tasks()
    assert calls["writes"] == 0, calls["write_calls"]
    assert policies(aws, "api")[0]["PolicyARN"] == arn
    assert aws.client("cloudwatch").describe_alarms()["MetricAlarms"] == alarms, "no alarm leaked"


def test_a_new_maximum_is_one_register_call(aws: Emulator):
    play(aws, "api")
    run, calls = play(aws, "api", "--diff", high=6)

    assert run.changed == 1
    assert calls["write_calls"] == {"application-autoscaling:RegisterScalableTarget": 1}
    assert target(aws, "api")["MaxCapacity"] == 6


def test_community_aws_writes_in_check_mode_and_ours_does_not(aws: Emulator):
    community_args = {
        "state": "present",
        "policy_name": "cpu",
        "service_namespace": "ecs",
        "resource_id": f"service/{CLUSTER}/community",
        "scalable_dimension": DIMENSION,
        "policy_type": "TargetTrackingScaling",
        "minimum_tasks": 1,
        "maximum_tasks": 4,
        "target_tracking_scaling_policy_configuration": {
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "TargetValue": 75,
            "ScaleInCooldown": 60,
            "ScaleOutCooldown": 60,
        },
    }
    recording.reset(aws.endpoint)
    community = adhoc(aws, "community.aws.application_autoscaling_policy", community_args, "--check")
    community_calls = recording.summarise(recording.calls(aws.endpoint))

    recording.reset(aws.endpoint)
    ours = adhoc(
        aws,
        "dailyge.infra.ecs_service_autoscaling",
        {"cluster": CLUSTER, "service": "ours", "min_capacity": 1, "max_capacity": 4},
        "--check",
    )
    our_calls = recording.summarise(recording.calls(aws.endpoint))

    assert community.returncode == 0, community.stdout + community.stderr
    assert community_calls["write_calls"] == {
        "application-autoscaling:RegisterScalableTarget": 1,
        "application-autoscaling:PutScalingPolicy": 1,
    }, "community.aws.application_autoscaling_policy no longer writes in check mode"
    assert target(aws, "community") is not None, "community.aws registered the target in check mode"

    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert "CHANGED" in ours.stdout
    assert our_calls["writes"] == 0, our_calls["write_calls"]
    assert target(aws, "ours") is None


def test_state_absent_removes_the_autoscaling_then_is_a_no_op(aws: Emulator):
    play(aws, "absent")
    assert target(aws, "absent") is not None

    removed, calls = play(aws, "absent", "-e", "ecs_autoscaling_state=absent")
    assert removed.changed == 1
    assert calls["write_calls"] == {
        "application-autoscaling:DeleteScalingPolicy": 1,
        "application-autoscaling:DeregisterScalableTarget": 1,
    }
    assert target(aws, "absent") is None and policies(aws, "absent") == []

    again, calls = play(aws, "absent", "-e", "ecs_autoscaling_state=absent")
    assert again.changed == 0 and calls["writes"] == 0


def test_an_unknown_service_is_one_line_and_nothing_changes(aws: Emulator):
    run, calls = play(aws, "no-such-service")

    assert run.returncode != 0
    assert run.failure_messages() == [f"ECS service 'no-such-service' not found in cluster '{CLUSTER}'"]
    assert calls["writes"] == 0


def test_min_above_max_is_refused_before_any_api_call(aws: Emulator):
    run, calls = play(aws, "api", low=5, high=2)

    assert run.returncode != 0
    assert run.failure_messages() == ["min_capacity (5) must not be greater than max_capacity (2)"]
    assert calls["total"] == 0


def test_the_module_is_documented():
    env = ansible_env()
    answer = subprocess.run(
        ["ansible-doc", "-j", "dailyge.infra.ecs_service_autoscaling"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    doc = json.loads(answer.stdout)["dailyge.infra.ecs_service_autoscaling"]
    assert doc["doc"]["options"]["target_cpu_utilization"]["default"] == 75.0
    assert doc["examples"] and doc["return"]
