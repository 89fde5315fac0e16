#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: security_group_exclusive_rules
short_description: Make a set of rule IDs the whole set of rules of some security groups
version_added: 0.1.0
description:
  - Lists every ingress and egress rule of the security groups O(group_ids) (C(DescribeSecurityGroupRules))
    and compares them with O(managed_rule_ids), the rules some owner manages (in this project, the
    Terraform output C(security_group_managed_rule_ids)).
  - Terraform's separate C(aws_vpc_security_group_ingress_rule) and C(aws_vpc_security_group_egress_rule)
    resources each see only their own rule, so a rule added by hand (say C(tcp 3306 from 0.0.0.0/0) on the
    database group) is never reported as drift nor removed by a deploy. This module closes that gap.
  - With O(state=present) revokes every rule that is neither managed nor listed in O(kept_rule_ids),
    by rule ID (C(RevokeSecurityGroupIngress) / C(RevokeSecurityGroupEgress)), and returns each revoked
    rule in full (protocol, ports, peer, description) so that it can be added back by hand if it was wanted.
  - With O(state=report) only reads and returns the unmanaged rules (C(changed) is always false); the
    drift check uses this.
  - Check mode makes read calls only and reports what O(state=present) would revoke. Supports C(--diff)
    (the rules of each group before and after).
  - Every input is validated before the first API call; a group that does not exist fails with one line
    naming it. O(state=present) refuses an empty O(managed_rule_ids), which would revoke every rule.
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
options:
  group_ids:
    description: IDs (sg-...) of the security groups whose rules are checked. At least one.
    required: true
    type: list
    elements: str
  managed_rule_ids:
    description:
      - IDs (sgr-...) of the rules that are managed, on any of O(group_ids). Every other rule of those
        groups is unmanaged.
      - A managed ID that is on none of the groups is returned in RV(missing_managed_rule_ids) (its owner
        recreates it) and does not fail the module.
    required: true
    type: list
    elements: str
  kept_rule_ids:
    description:
      - The explicit opt-out. IDs (sgr-...) of unmanaged rules to keep; they are returned in RV(kept_rules)
        and never revoked nor counted as unmanaged.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) revokes every unmanaged rule (nothing in check mode).
      - V(report) only returns the unmanaged rules and never writes.
    choices: [present, report]
    default: present
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Throttling is retried with jittered backoff (C(AWSRetry)).
  - Default rules count as any other rule; a group that should keep its default egress rule must manage it
    (or keep it with O(kept_rule_ids)).
"""

EXAMPLES = r"""
- name: Revoke every rule Terraform does not manage on the project's groups
  dailyge.infra.security_group_exclusive_rules:
    group_ids: "{{ stack.security_group_ids.values() | list }}"
    managed_rule_ids: "{{ stack.security_group_managed_rule_ids }}"
    kept_rule_ids: "{{ terraform_kept_security_group_rule_ids }}"
    state: present

- name: Only report them (drift check)
  dailyge.infra.security_group_exclusive_rules:
    group_ids: [sg-0123456789abcdef0]
    managed_rule_ids: [sgr-0123456789abcdef0, sgr-0fedcba9876543210]
    state: report
  register: unmanaged
"""

RETURN = r"""
unmanaged_rules:
  description:
    - The rules of the groups that are neither managed nor kept, as they were before the run.
    - With O(state=present) (outside check mode) these are the rules that were revoked.
  returned: always
  type: list
  elements: dict
  contains:
    security_group_rule_id:
      description: Rule ID.
      type: str
      sample: sgr-0123456789abcdef0
    group_id:
      description: ID of the security group of the rule.
      type: str
      sample: sg-0123456789abcdef0
    group_name:
      description: Name of that group.
      type: str
      sample: dailyge-local-rds
    direction:
      description: V(ingress) or V(egress).
      type: str
      sample: ingress
    ip_protocol:
      description: Protocol as the API gives it (V(-1) for all).
      type: str
      sample: tcp
    from_port:
      description: First port (-1 for all).
      type: int
      sample: 3306
    to_port:
      description: Last port (-1 for all).
      type: int
      sample: 3306
    peer:
      description: The CIDR, security group or prefix list the rule allows traffic from (ingress) or to (egress).
      type: str
      sample: 0.0.0.0/0
    description:
      description: Description of the rule (empty when none).
      type: str
      sample: ""
    summary:
      description: One line naming the rule, for messages.
      type: str
      sample: tcp 3306 from 0.0.0.0/0
revoked_rule_ids:
  description: IDs of the rules revoked (or, in check mode, that would be revoked); empty with O(state=report).
  returned: always
  type: list
  elements: str
  sample: [sgr-0123456789abcdef0]
kept_rules:
  description: The unmanaged rules kept because they are in O(kept_rule_ids), in the shape of RV(unmanaged_rules).
  returned: always
  type: list
  elements: dict
missing_managed_rule_ids:
  description: Managed rule IDs found on none of the groups (their owner has drifted and recreates them).
  returned: always
  type: list
  elements: str
  sample: []
diff:
  description: Summary of every rule of each group (by group ID) before and after the run.
  returned: always
  type: dict
"""

import contextlib
import re
from typing import Any

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing boto3/botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
RULE_ID = re.compile(r"^sgr-[0-9a-f]{8,17}$")

ARGUMENT_SPEC: dict[str, Any] = {
    "group_ids": {"type": "list", "elements": "str", "required": True},
    "managed_rule_ids": {"type": "list", "elements": "str", "required": True},
    "kept_rule_ids": {"type": "list", "elements": "str", "default": []},
    "state": {"type": "str", "default": "present", "choices": ["present", "report"]},
}


def validation_errors(params: dict[str, Any]) -> list[str]:
    """Everything wrong with the inputs, checked before any API call."""
    errors = []
    if not params["group_ids"]:
        errors.append("group_ids must list at least one security group ID")
    errors += [
        f"group_ids: {value!r} is not a security group ID (sg-...)"
        for value in params["group_ids"]
        if not GROUP_ID.match(value)
    ]
    for name in ("managed_rule_ids", "kept_rule_ids"):
        errors += [
            f"{name}: {value!r} is not a security group rule ID (sgr-...)"
            for value in params[name]
            if not RULE_ID.match(value)
        ]
    if params["state"] == "present" and not params["managed_rule_ids"]:
        errors.append(
            "managed_rule_ids is empty: state=present would revoke every rule of the groups (use state=report)"
        )
    return errors


def port_text(rule: dict[str, Any]) -> str:
    low, high = rule.get("FromPort", -1), rule.get("ToPort", -1)
    if rule.get("IpProtocol") in ("icmp", "icmpv6", "1", "58"):
        return f"type {low} code {high}"
    if low in (-1, None) or (low == 0 and high == 65535):
        return "all ports"
    return str(low) if low == high else f"{low}-{high}"


def peer_text(rule: dict[str, Any]) -> str:
    referenced = rule.get("ReferencedGroupInfo") or {}
    return rule.get("CidrIpv4") or rule.get("CidrIpv6") or rule.get("PrefixListId") or referenced.get("GroupId") or "?"


def describe_rule(rule: dict[str, Any], group_names: dict[str, str]) -> dict[str, Any]:
    """A rule of DescribeSecurityGroupRules in this module's shape (fields the API may omit defaulted)."""
    egress = bool(rule.get("IsEgress"))
    protocol = str(rule.get("IpProtocol", "-1"))
    peer = peer_text(rule)
    proto_text = "all traffic" if protocol == "-1" else f"{protocol} {port_text(rule)}"
    return {
        "security_group_rule_id": rule["SecurityGroupRuleId"],
        "group_id": rule["GroupId"],
        "group_name": group_names.get(rule["GroupId"], rule["GroupId"]),
        "direction": "egress" if egress else "ingress",
        "ip_protocol": protocol,
        "from_port": rule.get("FromPort", -1),
        "to_port": rule.get("ToPort", -1),
        "peer": peer,
        "description": rule.get("Description", ""),
        "summary": f"{proto_text} {'to' if egress else 'from'} {peer}",
    }


def rules_by_group(rules: list[dict[str, Any]], group_ids: list[str]) -> dict[str, list[str]]:
    """For the diff: each group's rules as 'sgr-... direction summary', sorted."""
    view: dict[str, list[str]] = {group_id: [] for group_id in group_ids}
    for rule in rules:
        view.setdefault(rule["group_id"], []).append(
            f"{rule['security_group_rule_id']} {rule['direction']} {rule['summary']}"
        )
    return {group_id: sorted(lines) for group_id, lines in view.items()}


@AWSRetry.jittered_backoff()
def read_groups(ec2: Any, group_ids: list[str]) -> dict[str, str]:
    """ID -> name of the groups that exist (a filter, so a missing ID is not an error here)."""
    paginator = ec2.get_paginator("describe_security_groups")
    pages = paginator.paginate(Filters=[{"Name": "group-id", "Values": group_ids}]).build_full_result()
    return {group["GroupId"]: group.get("GroupName", "") for group in pages.get("SecurityGroups", [])}


@AWSRetry.jittered_backoff()
def read_rules(ec2: Any, group_ids: list[str]) -> list[dict[str, Any]]:
    paginator = ec2.get_paginator("describe_security_group_rules")
    pages = paginator.paginate(Filters=[{"Name": "group-id", "Values": group_ids}]).build_full_result()
    return [rule for rule in pages.get("SecurityGroupRules", []) if rule.get("GroupId") in group_ids]


def revoke(ec2: Any, rules: list[dict[str, Any]]) -> None:
    """Revoke by rule ID, one call per group and direction."""
    batches: dict[tuple[str, str], list[str]] = {}
    for rule in rules:
        batches.setdefault((rule["group_id"], rule["direction"]), []).append(rule["security_group_rule_id"])
    for (group_id, direction), rule_ids in sorted(batches.items()):
        call = ec2.revoke_security_group_egress if direction == "egress" else ec2.revoke_security_group_ingress
        call(GroupId=group_id, SecurityGroupRuleIds=rule_ids, aws_retry=True)


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    errors = validation_errors(params)
    if errors:
        module.fail_json(msg="; ".join(errors))

    group_ids = list(dict.fromkeys(params["group_ids"]))
    managed = set(params["managed_rule_ids"])
    kept = set(params["kept_rule_ids"])
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())

    try:
        group_names = read_groups(ec2, group_ids)
        missing_groups = [group_id for group_id in group_ids if group_id not in group_names]
        if missing_groups:
            module.fail_json(msg=f"security group(s) not found: {', '.join(missing_groups)}")
        rules = [describe_rule(rule, group_names) for rule in read_rules(ec2, group_ids)]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not read the rules of the security groups {', '.join(group_ids)}")

    found_ids = {rule["security_group_rule_id"] for rule in rules}
    unmanaged = [rule for rule in rules if rule["security_group_rule_id"] not in managed | kept]
    kept_rules = [rule for rule in rules if rule["security_group_rule_id"] in kept - managed]
    missing_managed = sorted(managed - found_ids)
    for rule_id in missing_managed:
        module.warn(f"managed rule {rule_id} is on none of the groups: its owner (Terraform) recreates it")

    revoking = unmanaged if params["state"] == "present" else []
    if revoking and not module.check_mode:
        try:
            revoke(ec2, revoking)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(
                e, msg=f"Could not revoke {', '.join(rule['security_group_rule_id'] for rule in revoking)}"
            )

    revoked_ids = {rule["security_group_rule_id"] for rule in revoking}
    after = [rule for rule in rules if rule["security_group_rule_id"] not in revoked_ids]
    module.exit_json(
        changed=bool(revoking),
        unmanaged_rules=unmanaged,
        revoked_rule_ids=sorted(revoked_ids),
        kept_rules=kept_rules,
        missing_managed_rule_ids=missing_managed,
        diff={"before": rules_by_group(rules, group_ids), "after": rules_by_group(after, group_ids)},
    )


if __name__ == "__main__":
    main()
