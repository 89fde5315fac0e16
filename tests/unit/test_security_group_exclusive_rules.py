"""dailyge.infra.security_group_exclusive_rules against moto in-process: the change (an unmanaged rule
revoked), check mode (reads only), idempotence, the report state, the explicit opt-out, and bad
input refused before any API call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
import yaml
from ansible_collections.dailyge.infra.plugins.modules import security_group_exclusive_rules
from botocore.client import BaseClient
from module_harness import ApiCalls, fake_aws_environment, recording_api_calls, run_module
from moto import mock_aws

REGION = "ap-northeast-2"


class World:
    """Two groups like the project's: rds (3306 from ecs) and ecs (443 out); Terraform-managed rule IDs."""

    def __init__(self) -> None:
        self.ec2 = boto3.client("ec2", region_name=REGION)
        vpc = self.ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
        self.rds = self.ec2.create_security_group(GroupName="dailyge-test-rds", Description="rds", VpcId=vpc)["GroupId"]
        self.ecs = self.ec2.create_security_group(GroupName="dailyge-test-ecs", Description="ecs", VpcId=vpc)["GroupId"]
        # Like Terraform's aws_security_group: the default allow-all egress rule is removed.
        for group in (self.rds, self.ecs):
            for rule in self.rules(group):
                self.ec2.revoke_security_group_egress(GroupId=group, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
        self.managed = [
            self.add(self.rds, 3306, group=self.ecs),
            self.add(self.ecs, 443, cidr="0.0.0.0/0", egress=True),
            self.add(self.ecs, 3306, group=self.rds, egress=True),
        ]

    def add(self, group_id: str, port: int, *, cidr: str = "", group: str = "", egress: bool = False) -> str:
        permission: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        if cidr:
            permission["IpRanges"] = [{"CidrIp": cidr, "Description": "by hand"}]
        else:
            permission["UserIdGroupPairs"] = [{"GroupId": group}]
        call = self.ec2.authorize_security_group_egress if egress else self.ec2.authorize_security_group_ingress
        return call(GroupId=group_id, IpPermissions=[permission])["SecurityGroupRules"][0]["SecurityGroupRuleId"]

    def rules(self, group_id: str) -> list[dict[str, Any]]:
        found = self.ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
        return found["SecurityGroupRules"]

    def rule_ids(self) -> set[str]:
        return {rule["SecurityGroupRuleId"] for group in (self.rds, self.ecs) for rule in self.rules(group)}

    def args(self, **extra: Any) -> dict[str, Any]:
        return {"group_ids": [self.rds, self.ecs], "managed_rule_ids": list(self.managed), **extra}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, ApiCalls]]:
    fake_aws_environment(monkeypatch, REGION)
    with mock_aws():
        built = World()
        with recording_api_calls(monkeypatch) as calls:
            yield built, calls


def run(args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return run_module(security_group_exclusive_rules.main, args, **kwargs)


def test_a_hand_added_rule_is_revoked_and_the_managed_ones_stay(world):
    aws, calls = world
    exposure = aws.add(aws.rds, 3306, cidr="0.0.0.0/0")
    egress = aws.add(aws.ecs, 22, cidr="10.0.0.0/8", egress=True)
    before = aws.rule_ids()
    assert len(before) == 5

    calls.clear()
    result = run(aws.args())

    assert result.get("changed") is True, result
    assert result["revoked_rule_ids"] == sorted([exposure, egress])
    by_id = {rule["security_group_rule_id"]: rule for rule in result["unmanaged_rules"]}
    assert by_id[exposure]["summary"] == "tcp 3306 from 0.0.0.0/0"
    assert by_id[exposure]["group_name"] == "dailyge-test-rds"
    assert by_id[exposure]["description"] == "by hand"
    assert by_id[egress]["summary"] == "tcp 22 to 10.0.0.0/8"
    assert by_id[egress]["direction"] == "egress"
    assert sorted(calls.writes) == ["RevokeSecurityGroupEgress", "RevokeSecurityGroupIngress"]
    assert aws.rule_ids() == set(aws.managed) == before - {exposure, egress}
    assert any(exposure in line for line in result["diff"]["before"][aws.rds])
    assert not any(exposure in line for line in result["diff"]["after"][aws.rds])


def test_check_mode_reports_the_rule_and_writes_nothing(world):
    aws, calls = world
    exposure = aws.add(aws.rds, 3306, cidr="0.0.0.0/0")
    before = aws.rule_ids()

    calls.clear()
    result = run(aws.args(), check_mode=True)

    assert result["changed"] is True
    assert result["revoked_rule_ids"] == [exposure]
    assert calls.writes == [], calls.calls
    assert aws.rule_ids() == before


def test_a_second_run_changes_nothing_and_only_reads(world):
    aws, calls = world
    aws.add(aws.rds, 3306, cidr="0.0.0.0/0")
    assert run(aws.args())["changed"] is True
    calls.clear()
    after_first = aws.rule_ids()

    again = run(aws.args())

    assert again["changed"] is False
    assert again["unmanaged_rules"] == [] and again["revoked_rule_ids"] == []
    assert calls.writes == [] and calls.reads
    assert aws.rule_ids() == after_first == set(aws.managed)


def test_report_returns_the_unmanaged_rules_and_never_writes(world):
    aws, calls = world
    exposure = aws.add(aws.rds, 3306, cidr="0.0.0.0/0")

    calls.clear()
    result = run(aws.args(state="report"))

    assert result.get("changed") is False, result
    assert [rule["security_group_rule_id"] for rule in result["unmanaged_rules"]] == [exposure]
    assert result["revoked_rule_ids"] == []
    assert calls.writes == []
    assert exposure in aws.rule_ids()


def test_kept_rules_are_the_explicit_opt_out(world):
    aws, calls = world
    wanted = aws.add(aws.rds, 3306, cidr="10.99.0.0/16")

    calls.clear()
    result = run(aws.args(kept_rule_ids=[wanted]))

    assert result.get("changed") is False, result
    assert [rule["security_group_rule_id"] for rule in result["kept_rules"]] == [wanted]
    assert result["unmanaged_rules"] == []
    assert calls.writes == []
    assert wanted in aws.rule_ids()


def test_a_managed_rule_that_is_gone_is_reported_not_fatal(world):
    aws, _ = world
    gone = aws.managed[0]
    aws.ec2.revoke_security_group_ingress(GroupId=aws.rds, SecurityGroupRuleIds=[gone])

    result = run(aws.args())

    assert result.get("changed") is False, result
    assert result["missing_managed_rule_ids"] == [gone]
    assert any(gone in str(warning) for warning in result.get("warnings", []))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"group_ids": []}, "group_ids must list at least one security group ID"),
        ({"group_ids": ["dailyge-rds"]}, "group_ids: 'dailyge-rds' is not a security group ID (sg-...)"),
        ({"managed_rule_ids": ["sg-0123456789abcdef0"]}, "managed_rule_ids: 'sg-0123456789abcdef0' is not a security"),
        ({"kept_rule_ids": ["3306"]}, "kept_rule_ids: '3306' is not a security group rule ID (sgr-...)"),
        ({"managed_rule_ids": []}, "managed_rule_ids is empty: state=present would revoke every rule"),
    ],
)
def test_bad_input_fails_before_any_call(world, override, message):
    aws, calls = world
    before = aws.rule_ids()

    calls.clear()
    result = run(aws.args(**override))

    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert calls.calls == []
    assert aws.rule_ids() == before


def test_a_group_that_does_not_exist_is_named(world):
    aws, calls = world
    calls.clear()
    result = run(aws.args(group_ids=[aws.rds, "sg-0123456789abcdef0"]))

    assert result["failed"] is True
    assert result["msg"] == "security group(s) not found: sg-0123456789abcdef0"
    assert calls.writes == []


def test_throttling_is_retried(world, monkeypatch: pytest.MonkeyPatch):
    aws, _ = world
    aws.add(aws.rds, 3306, cidr="0.0.0.0/0")
    original = BaseClient._make_api_call
    throttled: list[str] = []

    def throttle_once(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation not in throttled:
            throttled.append(operation)
            error = {"Error": {"Code": "RequestLimitExceeded", "Message": "slow"}}
            raise botocore.exceptions.ClientError(error, operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttle_once)
    monkeypatch.setattr("time.sleep", lambda _: None)

    result = run(aws.args())

    assert result.get("changed") is True, result
    assert set(throttled) >= {"DescribeSecurityGroups", "DescribeSecurityGroupRules", "RevokeSecurityGroupIngress"}
    assert aws.rule_ids() == set(aws.managed)


def test_the_documentation_equals_the_argument_spec():
    documented = yaml.safe_load(security_group_exclusive_rules.DOCUMENTATION)["options"]
    spec = security_group_exclusive_rules.ARGUMENT_SPEC
    assert sorted(documented) == sorted(spec)
    for option, doc in documented.items():
        assert doc["type"] == spec[option]["type"], option
        assert doc.get("default") == spec[option].get("default"), option
        assert doc.get("elements") == spec[option].get("elements"), option
        assert doc.get("choices") == spec[option].get("choices"), option
