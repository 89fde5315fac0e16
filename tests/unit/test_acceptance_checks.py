"""dailyge.infra.acceptance_checks against moto in-process: a sound stack passes every check; each
defect fails exactly its check with a message saying what differs; several defects are all reported;
an AWS error fails only its check; check mode and repeated runs read the same; bad input is refused
before any API call."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import acceptance_stack
import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dailyge.infra.plugins.modules import acceptance_checks
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

REGION = "ap-northeast-2"
READ_PREFIXES = ("Describe", "Get", "List")


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


class World:
    def __init__(self, stack: dict[str, Any], operations: list[str]):
        self.stack = stack
        self.operations = operations

    def args(self, **extra: Any) -> dict[str, Any]:
        stack = self.stack
        return {
            "alb_arn": stack["alb_arn"],
            "hostnames": stack["hostnames"],
            "waf_web_acl_arn": stack["waf_web_acl_arn"],
            "waf_rate_rule_name": stack["waf_rate_rule_name"],
            "ecs_cluster": stack["ecs_cluster_name"],
            "ecs_service": stack["ecs_service_name"],
            "db_instance_identifier": stack["rds_instance_identifier"],
            **extra,
        }


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        stack = acceptance_stack.build(client)
        operations: list[str] = []
        original = BaseClient._make_api_call

        def recording(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            operations.append(operation)
            return original(self, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", recording)
        yield World(stack, operations)


def run(args: dict[str, Any], *, check_mode: bool = False) -> dict[str, Any]:
    stdout = io.StringIO()
    with (
        patch_module_args(dict(args, _ansible_check_mode=check_mode)),
        contextlib.redirect_stdout(stdout),
        pytest.raises(SystemExit),
    ):
        acceptance_checks.main()
    return json.loads(stdout.getvalue())


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in result["checks"]}


def failed(result: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["detail"] for check in result["checks"] if check["status"] == "failed"}


def test_a_sound_stack_passes_every_check_reading_only(world: World):
    result = run(world.args())
    assert result["changed"] is False
    assert result["failed_checks"] == [], failed(result)
    names = list(statuses(result))
    assert names == [
        "ALB redirects HTTP to HTTPS",
        "ALB HTTPS listener with TLS 1.2+",
        "ALB host rule api.dailyge.example",
        "ALB host rule api-dev.dailyge.example",
        "ALB host rule api-docs.dailyge.example",
        "ALB host rule monitoring.dailyge.example",
        "WAF rate rule dailyge-rate-limit on the ALB",
        "ECS autoscaling of dailyge-qa/dailyge-api",
        "Daily snapshot of dailyge-qa-db younger than 26 h",
    ]
    details = {check["name"]: check["detail"] for check in result["checks"]}
    assert details["WAF rate rule dailyge-rate-limit on the ALB"] == "dailyge-qa: 1000 requests / 60 s per IP, block"
    assert details["ECS autoscaling of dailyge-qa/dailyge-api"].startswith(
        "dailyge-api-cpu-target-tracking: ECSServiceAverageCPUUtilization at 75 %, cooldowns 60 s, 1-4 tasks"
    )
    assert "health check /api/health-check" in details["ALB host rule api.dailyge.example"]
    assert details["Daily snapshot of dailyge-qa-db younger than 26 h"].startswith(
        f"{acceptance_stack.daily_snapshot_name()} is 0.0 h old"
    )
    assert all(operation.startswith(READ_PREFIXES) for operation in world.operations), world.operations


def test_check_mode_and_a_second_run_report_the_same(world: World):
    first = run(world.args())
    assert run(world.args(), check_mode=True) == first
    assert run(world.args()) == first


@pytest.mark.parametrize(
    ("defect", "check", "detail"),
    [
        (
            acceptance_stack.break_waf_action,
            "WAF rate rule dailyge-rate-limit on the ALB",
            "action is count, expected block",
        ),
        (
            acceptance_stack.break_autoscaling_target,
            "ECS autoscaling of dailyge-qa/dailyge-api",
            "expected ECSServiceAverageCPUUtilization at 75 %, cooldowns 60 s; found dailyge-api-cpu-target-tracking: "
            "ECSServiceAverageCPUUtilization at 50.0 %",
        ),
        (
            acceptance_stack.break_snapshot,
            "Daily snapshot of dailyge-qa-db younger than 26 h",
            "no available snapshot named dailyge-qa-db-daily-<YYYYMMDD>: has the backup job ever run?",
        ),
        (
            acceptance_stack.break_redirect,
            "ALB redirects HTTP to HTTPS",
            "port 80 answers with ['forward'], not a redirect",
        ),
        (
            acceptance_stack.break_host_rule,
            "ALB host rule api-docs.dailyge.example",
            "no host-header rule for api-docs.dailyge.example on the HTTPS listener",
        ),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_each_defect_fails_exactly_its_check(world: World, defect: Callable, check: str, detail: str):
    defect(client, world.stack)
    result = run(world.args())
    assert list(failed(result)) == [check]
    assert failed(result)[check].startswith(detail)
    assert result["failed_checks"] == [check]


def test_every_defect_is_reported_not_only_the_first(world: World):
    for defect in (
        acceptance_stack.break_redirect,
        acceptance_stack.break_host_rule,
        acceptance_stack.break_waf_action,
        acceptance_stack.break_autoscaling_target,
        acceptance_stack.break_snapshot,
    ):
        defect(client, world.stack)
    result = run(world.args())
    assert len(result["failed_checks"]) == 5
    assert statuses(result)["ALB HTTPS listener with TLS 1.2+"] == "passed"


def test_a_snapshot_older_than_the_limit_fails(world: World):
    later = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=27)).isoformat()
    result = run(world.args(checks=["snapshot"], now=later))
    [detail] = failed(result).values()
    assert detail.startswith(f"{acceptance_stack.daily_snapshot_name()} is 27.0 h old (limit 26 h)")


def test_snapshots_it_did_not_make_do_not_count(world: World):
    acceptance_stack.break_snapshot(client, world.stack)  # only "<db>-before-upgrade" remains
    result = run(world.args(checks=["snapshot"]))
    assert "no available snapshot named" in next(iter(failed(result).values()))


def test_a_wrong_health_check_path_and_an_old_tls_policy_are_named(world: World):
    elb = client("elbv2")
    elb.modify_target_group(TargetGroupArn=world.stack["api_target_group_arn"], HealthCheckPath="/")
    elb.modify_listener(ListenerArn=world.stack["alb_https_listener_arn"], SslPolicy="ELBSecurityPolicy-2016-08")
    result = run(world.args(checks=["alb_https", "alb_host_rules"]))
    details = failed(result)
    assert details["ALB HTTPS listener with TLS 1.2+"] == (
        "port 443: security policy ELBSecurityPolicy-2016-08 allows TLS below 1.2"
    )
    assert details["ALB host rule api.dailyge.example"].endswith("health check /; expected /api/health-check")
    assert "ALB host rule monitoring.dailyge.example" not in details  # Grafana's target group checks /api/health


def test_a_web_acl_not_attached_fails(world: World):
    client("wafv2").disassociate_web_acl(ResourceArn=world.stack["alb_arn"])
    result = run(world.args(checks=["waf"]))
    assert list(failed(result).values()) == ["no web ACL is attached to the ALB"]


def test_an_aws_error_fails_only_its_check(world: World, monkeypatch: pytest.MonkeyPatch):
    recording = BaseClient._make_api_call

    def deny_waf(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "GetWebACLForResource":
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, operation)
        return recording(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", deny_waf)
    result = run(world.args())
    assert list(failed(result)) == ["WAF rate rule dailyge-rate-limit on the ALB"]
    assert failed(result)["WAF rate rule dailyge-rate-limit on the ALB"].startswith("AWS error AccessDeniedException")


def test_throttling_is_retried(world: World, monkeypatch: pytest.MonkeyPatch):
    recording, throttled = BaseClient._make_api_call, []

    def throttle_once(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "DescribeScalingPolicies" and not throttled:
            throttled.append(operation)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, operation)
        return recording(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttle_once)
    monkeypatch.setattr("time.sleep", lambda _seconds: None)
    result = run(world.args(checks=["autoscaling"]))
    assert throttled and result["failed_checks"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"alb_arn": ""}, "the alb_redirect check needs alb_arn"),
        ({"checks": ["snapshot"], "db_instance_identifier": None}, "the snapshot check needs db_instance_identifier"),
        ({"autoscaling_target_value": 150}, "autoscaling_target_value must be in (0, 100], got 150.0"),
        ({"now": "2026-11-27T09:00:00"}, "now must carry a time zone"),
        ({"host_rules": ["api", "admin"]}, "host_rules not in hostnames: admin"),
        ({"checks": ["dns"]}, "value of checks must be one or more of"),
    ],
)
def test_bad_input_is_refused_before_any_call(world: World, args: dict[str, Any], message: str):
    world.operations.clear()
    result = run(world.args(**args))
    assert result["failed"] is True
    assert message in result["msg"]
    assert world.operations == []
