"""dailyge.infra.ecs_service_autoscaling against moto in-process: change, check mode, idempotence,
state absent, diff, retries on throttling, and bad input refused before any API call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from ansible_collections.community.aws.plugins.modules import application_autoscaling_policy
from ansible_collections.dailyge.infra.plugins.modules import ecs_service_autoscaling
from botocore.client import BaseClient
from module_harness import ApiCalls, fake_aws_environment, recording_api_calls, run_module
from moto import mock_aws

REGION = "ap-northeast-2"
CLUSTER = "dailyge-test"
SERVICE = "dailyge-api"
RID = f"service/{CLUSTER}/{SERVICE}"
POLICY = f"{SERVICE}-cpu-target-tracking"
ARGS = {"cluster": CLUSTER, "service": SERVICE, "min_capacity": 1, "max_capacity": 4}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiCalls]:
    """moto with one ECS service; yields the recorder of the module's API calls."""
    fake_aws_environment(monkeypatch, REGION)
    with mock_aws():
        ecs = boto3.client("ecs", region_name=REGION)
        ecs.create_cluster(clusterName=CLUSTER)
        ecs.register_task_definition(
            family="api", containerDefinitions=[{"name": "api", "image": "api:1", "memory": 512}]
        )
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition="api", desiredCount=1)
        with recording_api_calls(monkeypatch) as calls:
            yield calls


def scaling() -> Any:
    return boto3.client("application-autoscaling", region_name=REGION)


def live_target() -> dict[str, Any] | None:
    found = scaling().describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[RID])["ScalableTargets"]
    return found[0] if found else None


def live_policies() -> list[dict[str, Any]]:
    return scaling().describe_scaling_policies(ServiceNamespace="ecs", ResourceId=RID)["ScalingPolicies"]


def run(args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return run_module(ecs_service_autoscaling.main, args, **kwargs)


def test_creates_the_target_and_the_cpu_policy(aws: ApiCalls):
    result = run(ARGS)

    assert result["changed"] is True, result
    assert result["actions"] == ["RegisterScalableTarget", "PutScalingPolicy"]
    assert aws.writes == ["RegisterScalableTarget", "PutScalingPolicy"]
    target = live_target()
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    [policy] = live_policies()
    assert policy["PolicyName"] == POLICY
    assert policy["PolicyType"] == "TargetTrackingScaling"
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == 75.0
    assert config["PredefinedMetricSpecification"] == {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}
    assert (config["ScaleInCooldown"], config["ScaleOutCooldown"]) == (60, 60)
    assert result["scaling_policy"]["policy_arn"] == policy["PolicyARN"]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["scalable_target"] == {"min_capacity": 1, "max_capacity": 4}


def test_second_run_changes_nothing_and_only_reads(aws: ApiCalls):
    first = run(ARGS)
    arn = live_policies()[0]["PolicyARN"]
    aws.clear()

    second = run(ARGS)

    assert second["changed"] is False, second
    assert second["actions"] == []
    assert aws.writes == [], "a no-op run must not write"
    assert sorted(aws.reads) == ["DescribeScalableTargets", "DescribeScalingPolicies", "DescribeServices"]
    assert live_policies()[0]["PolicyARN"] == arn == first["scaling_policy"]["policy_arn"]
    assert second["diff"]["before"] == second["diff"]["after"]


def test_check_mode_reports_the_change_and_writes_nothing(aws: ApiCalls):
    result = run(ARGS, check_mode=True)

    assert result["changed"] is True
    assert result["actions"] == ["RegisterScalableTarget", "PutScalingPolicy"]
    assert aws.writes == []
    assert live_target() is None
    assert live_policies() == []
    assert result["diff"]["after"]["scaling_policy"]["target_value"] == 75.0


def test_community_aws_policy_module_writes_in_check_mode_and_ours_does_not(aws: ApiCalls):
    """The reason this module exists: community.aws declares check mode, then writes anyway."""
    community_args = {
        "state": "present",
        "policy_name": POLICY,
        "service_namespace": "ecs",
        "resource_id": RID,
        "scalable_dimension": "ecs:service:DesiredCount",
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
    community = run_module(application_autoscaling_policy.main, community_args, check_mode=True)
    assert not community.get("failed"), community
    assert aws.writes == ["RegisterScalableTarget", "PutScalingPolicy"], "community.aws wrote in check mode"
    assert live_target() is not None

    scaling().deregister_scalable_target(
        ServiceNamespace="ecs", ResourceId=RID, ScalableDimension="ecs:service:DesiredCount"
    )
    scaling().delete_scaling_policy(
        ServiceNamespace="ecs", ResourceId=RID, ScalableDimension="ecs:service:DesiredCount", PolicyName=POLICY
    )
    aws.clear()

    ours = run(ARGS, check_mode=True)
    assert ours["changed"] is True
    assert aws.writes == []
    assert live_target() is None


def test_only_what_differs_is_written(aws: ApiCalls):
    run(ARGS)
    arn = live_policies()[0]["PolicyARN"]
    aws.clear()

    wider = run(dict(ARGS, max_capacity=8))
    assert wider["actions"] == ["RegisterScalableTarget"]
    assert aws.writes == ["RegisterScalableTarget"]
    assert live_target()["MaxCapacity"] == 8
    assert live_policies()[0]["PolicyARN"] == arn, "the policy was rewritten although it was equal"
    assert wider["diff"]["before"]["scalable_target"]["max_capacity"] == 4
    assert wider["diff"]["after"]["scalable_target"]["max_capacity"] == 8
    aws.clear()

    retuned = run(dict(ARGS, max_capacity=8, target_cpu_utilization=60, scale_in_cooldown=120))
    assert retuned["actions"] == ["PutScalingPolicy"]
    assert aws.writes == ["PutScalingPolicy"]
    config = live_policies()[0]["TargetTrackingScalingPolicyConfiguration"]
    assert (config["TargetValue"], config["ScaleInCooldown"], config["ScaleOutCooldown"]) == (60.0, 120, 60)


def test_state_absent_removes_both_then_is_a_no_op(aws: ApiCalls):
    run(ARGS)
    aws.clear()

    check = run({"cluster": CLUSTER, "service": SERVICE, "state": "absent"}, check_mode=True)
    assert check["changed"] is True and aws.writes == []
    assert live_target() is not None

    removed = run({"cluster": CLUSTER, "service": SERVICE, "state": "absent"})
    assert removed["changed"] is True
    assert removed["actions"] == ["DeleteScalingPolicy", "DeregisterScalableTarget"]
    assert live_target() is None and live_policies() == []
    assert removed["diff"]["after"] == {}
    aws.clear()

    again = run({"cluster": CLUSTER, "service": SERVICE, "state": "absent"})
    assert again["changed"] is False
    assert aws.writes == []


def test_throttling_is_retried(aws: ApiCalls, monkeypatch: pytest.MonkeyPatch):
    """The first DescribeScalableTargets is throttled; AWSRetry waits (sleep stubbed) and retries."""
    moto_call = BaseClient._make_api_call
    throttled: list[str] = []

    def throttle_once(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "DescribeScalableTargets" and not throttled:
            throttled.append(operation)
            error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
            raise botocore.exceptions.ClientError(error, operation)
        return moto_call(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttle_once)
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", lambda _: None)

    result = run(ARGS)

    assert throttled == ["DescribeScalableTargets"]
    assert result["changed"] is True, result
    assert live_target()["MaxCapacity"] == 4


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"min_capacity": 5, "max_capacity": 2}, "min_capacity (5) must not be greater than max_capacity (2)"),
        ({"target_cpu_utilization": 0}, "target_cpu_utilization must be in (0, 100], got 0"),
        ({"target_cpu_utilization": 100.5}, "target_cpu_utilization must be in (0, 100], got 100.5"),
        ({"scale_in_cooldown": -1}, "scale_in_cooldown must be 0 or more seconds, got -1"),
        ({"min_capacity": -1}, "min_capacity must be 0 or more, got -1"),
        ({"service": "arn:aws:ecs:x:1:service/a/b"}, "service must be a plain name"),
    ],
)
def test_bad_input_is_refused_before_any_api_call(aws: ApiCalls, overrides: dict[str, Any], message: str):
    result = run(dict(ARGS, **overrides))

    assert result["failed"] is True
    assert message in result["msg"]
    assert "\n" not in result["msg"]
    assert aws.calls == [], "validation must come before the first API call"


def test_missing_capacities_are_refused_before_any_api_call(aws: ApiCalls):
    result = run({"cluster": CLUSTER, "service": SERVICE})
    assert result["failed"] is True
    assert "min_capacity" in result["msg"] and "max_capacity" in result["msg"]
    assert aws.calls == []


@pytest.mark.parametrize(
    ("cluster", "service", "message"),
    [
        (CLUSTER, "nope", f"ECS service 'nope' not found in cluster '{CLUSTER}'"),
        ("no-such-cluster", SERVICE, "ECS cluster 'no-such-cluster' not found"),
    ],
)
def test_unknown_cluster_or_service_is_one_line_and_changes_nothing(
    aws: ApiCalls, cluster: str, service: str, message: str
):
    result = run(dict(ARGS, cluster=cluster, service=service))

    assert result["failed"] is True
    assert result["msg"] == message
    assert aws.writes == []
    assert live_target() is None
