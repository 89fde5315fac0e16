#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: acceptance_checks
short_description: Check a deployed Dailyge environment through the AWS APIs (ALB, WAF, autoscaling, backups)
version_added: 0.1.0
description:
  - Runs the acceptance checks that the AWS APIs can answer, each independently, and returns every
    result (passed or failed with the reason); one failing check never hides another.
    The acceptance playbook (C(playbooks/ops/acceptance.yml)) adds the HTTP and Prometheus checks and
    fails the run when any check failed.
  - C(alb_redirect) - the ALB's port 80 listener redirects to HTTPS on 443 with a 301.
  - C(alb_https) - the HTTPS listener exists on 443 with a TLS 1.2+ security policy and a certificate.
  - C(alb_host_rules) - one check per O(host_rules) entry - the HTTPS listener has a host-header rule for
    that host name forwarding to a target group; for O(api_hosts) the target group's health check path
    is O(health_check_path).
  - C(waf) - the web ACL attached to the ALB is O(waf_web_acl_arn), and its rule O(waf_rate_rule_name) is
    a rate-based rule per IP with O(waf_rate_limit) requests per O(waf_evaluation_window_sec) seconds
    and action O(waf_action).
  - C(autoscaling) - the ECS service has a scalable target and a target-tracking policy on
    O(autoscaling_metric) at O(autoscaling_target_value) percent with the expected cooldowns.
  - C(snapshot) - the newest available manual snapshot named C(<db>-daily-<YYYYMMDD>) is younger than
    O(snapshot_max_age_hours).
  - Read-only; never reports C(changed). Runs the same in check mode.
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
options:
  checks:
    description: The checks to run.
    type: list
    elements: str
    choices: [alb_redirect, alb_https, alb_host_rules, waf, autoscaling, snapshot]
    default: [alb_redirect, alb_https, alb_host_rules, waf, autoscaling, snapshot]
  alb_arn:
    description: ARN of the application load balancer (the stack output C(alb_arn)). Needed by the ALB and WAF checks.
    type: str
  hostnames:
    description: Host name of each sub-domain, by key (the stack output C(hostnames)).
    type: dict
    default: {}
  host_rules:
    description: Keys of O(hostnames) that must have a host-header rule on the HTTPS listener.
    type: list
    elements: str
    default: [api, api_dev, api_docs, monitoring]
  api_hosts:
    description: Keys of O(host_rules) served by the API, whose target group must check O(health_check_path).
    type: list
    elements: str
    default: [api, api_dev, api_docs]
  health_check_path:
    description: Health check path of the API's target groups.
    type: str
    default: /api/health-check
  waf_web_acl_arn:
    description: ARN of the web ACL that must be attached to the ALB (the stack output C(waf_web_acl_arn)).
    type: str
  waf_rate_rule_name:
    description: Name of the rate-based rule in the web ACL (the stack output C(waf_rate_rule_name)).
    type: str
  waf_rate_limit:
    description: Requests allowed per client IP in one evaluation window.
    type: int
    default: 1000
  waf_evaluation_window_sec:
    description: The rate rule's evaluation window in seconds.
    type: int
    default: 60
  waf_action:
    description: The rate rule's action (V(count) only while load-test mode is on).
    type: str
    choices: [block, count]
    default: block
  ecs_cluster:
    description: Name of the ECS cluster (the stack output C(ecs_cluster_name)).
    type: str
  ecs_service:
    description: Name of the ECS service (the stack output C(ecs_service_name)).
    type: str
  autoscaling_metric:
    description: The predefined metric the target-tracking policy must follow.
    type: str
    default: ECSServiceAverageCPUUtilization
  autoscaling_target_value:
    description: The policy's target value in percent.
    type: float
    default: 75.0
  autoscaling_cooldown:
    description: The policy's scale-in and scale-out cooldowns in seconds.
    type: int
    default: 60
  db_instance_identifier:
    description: The RDS instance whose daily snapshots are checked (the stack output C(rds_instance_identifier)).
    type: str
  snapshot_max_age_hours:
    description: The newest daily snapshot must be younger than this.
    type: float
    default: 26.0
  now:
    description:
      - The time the snapshot age is measured at, ISO 8601 with a time zone (for example C(2026-11-27T09:00:00+09:00)).
      - Defaults to the current time.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Needs C(elasticloadbalancing:DescribeListeners), C(elasticloadbalancing:DescribeRules),
    C(elasticloadbalancing:DescribeTargetGroups), C(wafv2:GetWebACLForResource),
    C(application-autoscaling:DescribeScalableTargets), C(application-autoscaling:DescribeScalingPolicies)
    and C(rds:DescribeDBSnapshots).
"""

EXAMPLES = r"""
- name: Check the environment through the AWS APIs
  dailyge.infra.acceptance_checks:
    alb_arn: "{{ stack.alb_arn }}"
    hostnames: "{{ stack.hostnames }}"
    waf_web_acl_arn: "{{ stack.waf_web_acl_arn }}"
    waf_rate_rule_name: "{{ stack.waf_rate_rule_name }}"
    ecs_cluster: "{{ stack.ecs_cluster_name }}"
    ecs_service: "{{ stack.ecs_service_name }}"
    db_instance_identifier: "{{ stack.rds_instance_identifier }}"
  register: aws_checks

- name: Only the backup check
  dailyge.infra.acceptance_checks:
    checks: [snapshot]
    db_instance_identifier: dailyge-prod
    snapshot_max_age_hours: 26
"""

RETURN = r"""
checks:
  description: Every check run, in order.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: What was checked.
      type: str
      sample: WAF rate rule dailyge-rate-limit - 1000 requests / 60 s per IP, block
    status:
      description: V(passed) or V(failed).
      type: str
      sample: failed
    detail:
      description: What was found (on failure, what differs from what was expected).
      type: str
      sample: "action is count, expected block"
failed_checks:
  description: Names of the failed checks (a failed check does not fail the module; the playbook decides).
  returned: success
  type: list
  elements: str
"""

import contextlib
import datetime
import re
from collections.abc import Callable
from typing import Any

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing boto3/botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

ALL_CHECKS = ["alb_redirect", "alb_https", "alb_host_rules", "waf", "autoscaling", "snapshot"]
ARGUMENT_SPEC: dict[str, Any] = {
    "checks": {"type": "list", "elements": "str", "choices": ALL_CHECKS, "default": list(ALL_CHECKS)},
    "alb_arn": {"type": "str"},
    "hostnames": {"type": "dict", "default": {}},
    "host_rules": {"type": "list", "elements": "str", "default": ["api", "api_dev", "api_docs", "monitoring"]},
    "api_hosts": {"type": "list", "elements": "str", "default": ["api", "api_dev", "api_docs"]},
    "health_check_path": {"type": "str", "default": "/api/health-check"},
    "waf_web_acl_arn": {"type": "str"},
    "waf_rate_rule_name": {"type": "str"},
    "waf_rate_limit": {"type": "int", "default": 1000},
    "waf_evaluation_window_sec": {"type": "int", "default": 60},
    "waf_action": {"type": "str", "choices": ["block", "count"], "default": "block"},
    "ecs_cluster": {"type": "str"},
    "ecs_service": {"type": "str"},
    "autoscaling_metric": {"type": "str", "default": "ECSServiceAverageCPUUtilization"},
    "autoscaling_target_value": {"type": "float", "default": 75.0},
    "autoscaling_cooldown": {"type": "int", "default": 60},
    "db_instance_identifier": {"type": "str"},
    "snapshot_max_age_hours": {"type": "float", "default": 26.0},
    "now": {"type": "str"},
}
# The inputs each check needs (beyond options with defaults).
NEEDS = {
    "alb_redirect": ["alb_arn"],
    "alb_https": ["alb_arn"],
    "alb_host_rules": ["alb_arn", "hostnames"],
    "waf": ["alb_arn", "waf_web_acl_arn", "waf_rate_rule_name"],
    "autoscaling": ["ecs_cluster", "ecs_service"],
    "snapshot": ["db_instance_identifier"],
}
TLS12_POLICY = re.compile(r"TLS13|TLS-1-2|TLS12|FS-1-2")
RETRY_CODES = ["ThrottlingException", "Throttling", "WAFInternalErrorException"]


class CheckFailedError(Exception):
    """A check's finding: the message says what differs from what was expected."""


def result(name: str, passed: bool, detail: str) -> dict[str, str]:
    return {"name": name, "status": "passed" if passed else "failed", "detail": detail}


def parse_now(text: str | None) -> datetime.datetime:
    if not text:
        return datetime.datetime.now(datetime.timezone.utc)
    try:
        # Python < 3.11 reads no "Z" suffix.
        moment = datetime.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError as exc:
        raise ValueError(f"now must be an ISO 8601 time, got {text!r}") from exc
    if moment.tzinfo is None:
        raise ValueError(f"now must carry a time zone, got {text!r}")
    return moment


def validation_errors(params: dict[str, Any]) -> list[str]:
    errors = []
    for check in params["checks"]:
        missing = [name for name in NEEDS[check] if not params.get(name)]
        if missing:
            errors.append(f"the {check} check needs {', '.join(missing)}")
    if "alb_host_rules" in params["checks"]:
        unknown = [key for key in params["host_rules"] if key not in params["hostnames"]]
        if unknown and params["hostnames"]:
            errors.append(f"host_rules not in hostnames: {', '.join(unknown)}")
    if params["waf_rate_limit"] < 1 or params["waf_evaluation_window_sec"] < 1:
        errors.append("waf_rate_limit and waf_evaluation_window_sec must be 1 or more")
    if not 0 < params["autoscaling_target_value"] <= 100:
        errors.append(f"autoscaling_target_value must be in (0, 100], got {params['autoscaling_target_value']}")
    if params["snapshot_max_age_hours"] <= 0:
        errors.append("snapshot_max_age_hours must be more than 0")
    try:
        parse_now(params["now"])
    except ValueError as exc:
        errors.append(str(exc))
    return errors


def paged(call: Callable[..., dict[str, Any]], items: str, marker_out: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a Marker-paginated describe call (retried on throttling)."""
    found: list[dict[str, Any]] = []
    marker = None
    while True:
        page = call(aws_retry=True, **kwargs, **({"Marker": marker} if marker else {}))
        found += page.get(items) or []
        marker = page.get(marker_out)
        if not marker:
            return found


def listeners(elb: Any, alb_arn: str) -> list[dict[str, Any]]:
    return paged(elb.describe_listeners, "Listeners", "NextMarker", LoadBalancerArn=alb_arn)


def listener_on(found: list[dict[str, Any]], port: int) -> dict[str, Any]:
    for listener in found:
        if listener.get("Port") == port:
            return listener
    raise CheckFailedError(
        f"the ALB has no listener on port {port} (listeners: {sorted(item.get('Port') for item in found)})"
    )


def check_redirect(found: list[dict[str, Any]]) -> str:
    http = listener_on(found, 80)
    actions = http.get("DefaultActions") or []
    redirect = next(
        (action.get("RedirectConfig") or {} for action in actions if action.get("Type") == "redirect"), None
    )
    if redirect is None:
        raise CheckFailedError(f"port 80 answers with {[action.get('Type') for action in actions]}, not a redirect")
    got = (redirect.get("Protocol"), str(redirect.get("Port")), redirect.get("StatusCode"))
    if got != ("HTTPS", "443", "HTTP_301"):
        raise CheckFailedError(
            f"port 80 redirects to {got[0]}:{got[1]} with {got[2]}, expected HTTPS:443 with HTTP_301"
        )
    return "port 80 redirects to HTTPS:443 (301)"


def check_https(found: list[dict[str, Any]]) -> str:
    https = listener_on(found, 443)
    problems = []
    if https.get("Protocol") != "HTTPS":
        problems.append(f"protocol is {https.get('Protocol')}")
    policy = https.get("SslPolicy") or ""
    if not TLS12_POLICY.search(policy):
        problems.append(f"security policy {policy or '(none)'} allows TLS below 1.2")
    if not https.get("Certificates"):
        problems.append("no certificate")
    if problems:
        raise CheckFailedError("port 443: " + "; ".join(problems))
    return f"port 443 HTTPS with {policy}"


def rule_hosts(rule: dict[str, Any]) -> set[str]:
    hosts: set[str] = set()
    for condition in rule.get("Conditions") or []:
        if condition.get("Field") == "host-header":
            hosts |= set(condition.get("Values") or [])
            hosts |= set((condition.get("HostHeaderConfig") or {}).get("Values") or [])
    return hosts


def forward_targets(rule: dict[str, Any]) -> list[str]:
    arns = []
    for action in rule.get("Actions") or []:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            arns.append(action["TargetGroupArn"])
        arns += [group["TargetGroupArn"] for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []]
    return list(dict.fromkeys(arns))


def all_rules(elb: Any, listener_arn: str) -> list[dict[str, Any]]:
    return paged(elb.describe_rules, "Rules", "NextMarker", ListenerArn=listener_arn)


def host_rule_checks(elb: Any, found: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, str]]:
    """One result per expected host: a host-header rule forwarding to a target group (with the health path)."""
    names = {key: f"ALB host rule {params['hostnames'][key]}" for key in params["host_rules"]}
    try:
        rules = all_rules(elb, listener_on(found, 443)["ListenerArn"])
    except CheckFailedError as exc:
        return [result(name, False, str(exc)) for name in names.values()]
    checks = []
    for key, name in names.items():
        fqdn = params["hostnames"][key]
        matching = [rule for rule in rules if fqdn in rule_hosts(rule)]
        targets = [arn for rule in matching for arn in forward_targets(rule)]
        if not matching:
            checks.append(result(name, False, f"no host-header rule for {fqdn} on the HTTPS listener"))
        elif not targets:
            checks.append(result(name, False, f"the rule for {fqdn} does not forward to a target group"))
        elif key in params["api_hosts"]:
            groups = elb.describe_target_groups(aws_retry=True, TargetGroupArns=targets)["TargetGroups"]
            paths = sorted({group.get("HealthCheckPath") or "" for group in groups})
            ok = paths == [params["health_check_path"]]
            detail = f"forwards to {', '.join(group['TargetGroupName'] for group in groups)}, health check {', '.join(paths)}"
            checks.append(result(name, ok, detail if ok else f"{detail}; expected {params['health_check_path']}"))
        else:
            checks.append(result(name, True, f"forwards to {len(targets)} target group(s)"))
    return checks


def check_waf(waf: Any, params: dict[str, Any]) -> str:
    try:
        acl = waf.get_web_acl_for_resource(aws_retry=True, ResourceArn=params["alb_arn"]).get("WebACL")
    except botocore.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] != "WAFNonexistentItemException":
            raise
        acl = None
    if not acl:
        raise CheckFailedError("no web ACL is attached to the ALB")
    if acl.get("ARN") != params["waf_web_acl_arn"]:
        raise CheckFailedError(f"the ALB is protected by {acl.get('ARN')}, not {params['waf_web_acl_arn']}")
    rule = next((rule for rule in acl.get("Rules") or [] if rule.get("Name") == params["waf_rate_rule_name"]), None)
    if rule is None:
        names = [rule.get("Name") for rule in acl.get("Rules") or []]
        raise CheckFailedError(f"web ACL {acl.get('Name')} has no rule {params['waf_rate_rule_name']} (rules: {names})")
    rate = (rule.get("Statement") or {}).get("RateBasedStatement")
    if rate is None:
        raise CheckFailedError(f"rule {rule['Name']} is not rate-based")
    action = next(iter(rule.get("Action") or {}), "none").lower()
    got = {
        "limit": rate.get("Limit"),
        "window": rate.get("EvaluationWindowSec", 300),  # AWS's default when the field is absent
        "key": rate.get("AggregateKeyType"),
        "action": action,
    }
    expected = {
        "limit": params["waf_rate_limit"],
        "window": params["waf_evaluation_window_sec"],
        "key": "IP",
        "action": params["waf_action"],
    }
    differences = [f"{key} is {got[key]}, expected {expected[key]}" for key in expected if got[key] != expected[key]]
    if differences:
        raise CheckFailedError("; ".join(differences))
    return f"{acl.get('Name')}: {got['limit']} requests / {got['window']} s per IP, {action}"


def check_autoscaling(scaling: Any, params: dict[str, Any]) -> str:
    resource_id = f"service/{params['ecs_cluster']}/{params['ecs_service']}"
    targets = scaling.describe_scalable_targets(
        aws_retry=True, ServiceNamespace="ecs", ResourceIds=[resource_id], ScalableDimension="ecs:service:DesiredCount"
    )["ScalableTargets"]
    if not targets:
        raise CheckFailedError(f"{resource_id} is not registered with Application Auto Scaling")
    policies = scaling.describe_scaling_policies(aws_retry=True, ServiceNamespace="ecs", ResourceId=resource_id)[
        "ScalingPolicies"
    ]
    tracking = [policy for policy in policies if policy.get("PolicyType") == "TargetTrackingScaling"]
    if not tracking:
        raise CheckFailedError(
            f"{resource_id} has no target-tracking policy (policies: {[p['PolicyName'] for p in policies]})"
        )
    found = []
    for policy in tracking:
        config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
        metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
        got = (metric, config.get("TargetValue"), config.get("ScaleInCooldown"), config.get("ScaleOutCooldown"))
        expected = (
            params["autoscaling_metric"],
            params["autoscaling_target_value"],
            params["autoscaling_cooldown"],
            params["autoscaling_cooldown"],
        )
        if got == expected:
            target = targets[0]
            return (
                f"{policy['PolicyName']}: {metric} at {got[1]:g} %, cooldowns {got[2]} s, "
                f"{target.get('MinCapacity')}-{target.get('MaxCapacity')} tasks"
            )
        found.append(f"{policy['PolicyName']}: {got[0]} at {got[1]} %, cooldowns in {got[2]} s / out {got[3]} s")
    wanted = f"{expected[0]} at {expected[1]:g} %, cooldowns {expected[2]} s"
    raise CheckFailedError(f"expected {wanted}; found {'; '.join(found)}")


def check_snapshot(rds: Any, params: dict[str, Any], now: datetime.datetime) -> str:
    db = params["db_instance_identifier"]
    pattern = re.compile(rf"^{re.escape(db)}-daily-\d{{8}}$")
    snapshots = paged(
        rds.describe_db_snapshots, "DBSnapshots", "Marker", DBInstanceIdentifier=db, SnapshotType="manual"
    )
    daily = [
        snapshot
        for snapshot in snapshots
        if pattern.match(snapshot["DBSnapshotIdentifier"]) and snapshot.get("Status") == "available"
    ]
    if not daily:
        raise CheckFailedError(f"no available snapshot named {db}-daily-<YYYYMMDD>: has the backup job ever run?")
    newest = max(daily, key=lambda snapshot: snapshot["SnapshotCreateTime"])
    created = newest["SnapshotCreateTime"]
    if isinstance(created, str):
        created = datetime.datetime.fromisoformat(created[:-1] + "+00:00" if created.endswith("Z") else created)
    age_hours = (now - created).total_seconds() / 3600
    detail = f"{newest['DBSnapshotIdentifier']} is {age_hours:.1f} h old"
    if age_hours >= params["snapshot_max_age_hours"]:
        raise CheckFailedError(f"{detail} (limit {params['snapshot_max_age_hours']:g} h): the last backup did not run")
    return detail


def aws_error(exc: Exception) -> str:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
    return f"AWS error {code}: {exc}"


def run_check(name: str, check: Callable[[], str]) -> dict[str, str]:
    """Run one check; a finding or an AWS error fails this check only."""
    try:
        return result(name, True, check())
    except CheckFailedError as exc:
        return result(name, False, str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return result(name, False, aws_error(exc))


def alb_checks(elb: Any, params: dict[str, Any]) -> list[dict[str, str]]:
    """The redirect, HTTPS and host-rule checks, on one read of the ALB's listeners."""
    selected = params["checks"]
    names = []
    if "alb_redirect" in selected:
        names.append(("ALB redirects HTTP to HTTPS", check_redirect))
    if "alb_https" in selected:
        names.append(("ALB HTTPS listener with TLS 1.2+", check_https))
    try:
        found = listeners(elb, params["alb_arn"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        detail = f"reading the ALB's listeners: {aws_error(exc)}"
        hosts = [f"ALB host rule {params['hostnames'][key]}" for key in params["host_rules"]]
        return [result(name, False, detail) for name in [name for name, _value in names] + hosts]
    results = [run_check(name, lambda check=check: check(found)) for name, check in names]
    if "alb_host_rules" in selected:
        try:
            results += host_rule_checks(elb, found, params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            hosts = [f"ALB host rule {params['hostnames'][key]}" for key in params["host_rules"]]
            results += [result(name, False, aws_error(exc)) for name in hosts]
    return results


def run_checks(module: AnsibleAWSModule, params: dict[str, Any]) -> list[dict[str, str]]:
    retry = AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)
    selected = params["checks"]
    results = []
    if {"alb_redirect", "alb_https", "alb_host_rules"} & set(selected):
        results += alb_checks(module.client("elbv2", retry_decorator=retry), params)
    if "waf" in selected:
        waf = module.client("wafv2", retry_decorator=retry)
        name = f"WAF rate rule {params['waf_rate_rule_name']} on the ALB"
        results.append(run_check(name, lambda: check_waf(waf, params)))
    if "autoscaling" in selected:
        scaling = module.client("application-autoscaling", retry_decorator=retry)
        name = f"ECS autoscaling of {params['ecs_cluster']}/{params['ecs_service']}"
        results.append(run_check(name, lambda: check_autoscaling(scaling, params)))
    if "snapshot" in selected:
        rds = module.client("rds", retry_decorator=retry)
        now = parse_now(params["now"])
        name = (
            f"Daily snapshot of {params['db_instance_identifier']} younger than {params['snapshot_max_age_hours']:g} h"
        )
        results.append(run_check(name, lambda: check_snapshot(rds, params, now)))
    return results


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = dict(module.params)
    errors = validation_errors(params)
    if errors:
        module.fail_json(msg="; ".join(errors))
    checks = run_checks(module, params)
    failed = [check["name"] for check in checks if check["status"] == "failed"]
    module.exit_json(changed=False, checks=checks, failed_checks=failed)


if __name__ == "__main__":
    main()
