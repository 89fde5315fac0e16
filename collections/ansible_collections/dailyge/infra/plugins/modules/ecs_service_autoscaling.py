#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ecs_service_autoscaling
short_description: Target tracking on average CPU for one ECS service (Application Auto Scaling)
version_added: 0.1.0
description:
  - Registers the C(ecs:service:DesiredCount) scalable target of an ECS service with a minimum and
    maximum task count, and a target-tracking scaling policy on the predefined metric
    C(ECSServiceAverageCPUUtilization) with scale-in and scale-out cooldowns.
  - With O(state=absent) removes the policy and deregisters the scalable target.
  - Reads first and writes only what differs, so a second run makes no write call and reports
    C(changed=false). This matters beyond tidiness; C(PutScalingPolicy) replaces the policy's
    CloudWatch alarms, and the embedded AWS emulator mints a new policy ARN and leaks the old alarms
    on every call.
  - Check mode makes read calls only and reports what would change (unlike
    M(community.aws.application_autoscaling_policy), which registers targets and puts policies in
    check mode).
  - Every input is validated before the first API call. The ECS service must exist and be active for
    O(state=present); an unknown cluster or service fails with one line naming it.
  - Application Auto Scaling itself is kept outside Terraform in this project; Terraform ignores the
    service's C(desired_count).
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
options:
  cluster:
    description: Name of the ECS cluster (not its ARN).
    required: true
    type: str
  service:
    description: Name of the ECS service in O(cluster) (not its ARN).
    required: true
    type: str
  state:
    description: V(present) registers the target and the policy; V(absent) removes both.
    choices: [present, absent]
    default: present
    type: str
  min_capacity:
    description:
      - Minimum number of tasks. Required with O(state=present).
      - Must be 0 or more and not greater than O(max_capacity).
    type: int
  max_capacity:
    description: Maximum number of tasks. Required with O(state=present).
    type: int
  target_cpu_utilization:
    description: Target of the average CPU utilisation of the service's tasks, in percent, in (0, 100].
    type: float
    default: 75.0
  scale_in_cooldown:
    description: Seconds after a scale-in before another scale-in may start (0 or more).
    type: int
    default: 60
  scale_out_cooldown:
    description: Seconds after a scale-out before another scale-out may start (0 or more).
    type: int
    default: 60
  disable_scale_in:
    description: When true the policy only scales out; tasks are never removed by it.
    type: bool
    default: false
  policy_name:
    description:
      - Name of the scaling policy. Defaults to C(<service>-cpu-target-tracking).
      - Other policies on the same target are left alone (O(state=absent) deregisters the target,
        which removes them too).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Throttling and concurrent-update errors are retried with jittered backoff (C(AWSRetry)).
  - Supports C(--diff); the diff shows the target and the policy before and after.
"""

EXAMPLES = r"""
- name: CPU target tracking at 75 % with one-minute cooldowns
  dailyge.infra.ecs_service_autoscaling:
    cluster: dailyge-prod
    service: dailyge-api
    min_capacity: 2
    max_capacity: 6
    target_cpu_utilization: 75
    scale_in_cooldown: 60
    scale_out_cooldown: 60

- name: Values from the Terraform outputs (the stack fact)
  dailyge.infra.ecs_service_autoscaling:
    cluster: "{{ stack.ecs_cluster_name }}"
    service: "{{ stack.ecs_service_name }}"
    min_capacity: "{{ stack.ecs_service_min_capacity }}"
    max_capacity: "{{ stack.ecs_service_max_capacity }}"

- name: Remove the autoscaling of a service
  dailyge.infra.ecs_service_autoscaling:
    cluster: dailyge-dev
    service: dailyge-api
    state: absent
"""

RETURN = r"""
resource_id:
  description: Application Auto Scaling resource ID of the service.
  returned: always
  type: str
  sample: service/dailyge-prod/dailyge-api
scalable_target:
  description: The scalable target after the run (as it would be in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    min_capacity:
      description: Minimum number of tasks.
      type: int
      sample: 2
    max_capacity:
      description: Maximum number of tasks.
      type: int
      sample: 6
scaling_policy:
  description: The target-tracking policy after the run (as it would be in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    policy_name:
      description: Name of the policy.
      type: str
      sample: dailyge-api-cpu-target-tracking
    policy_arn:
      description: ARN of the policy; absent when it does not exist yet (check mode).
      type: str
      returned: when the policy exists
    metric:
      description: The predefined metric tracked.
      type: str
      sample: ECSServiceAverageCPUUtilization
    target_value:
      description: Target CPU utilisation in percent.
      type: float
      sample: 75.0
    scale_in_cooldown:
      description: Scale-in cooldown in seconds.
      type: int
      sample: 60
    scale_out_cooldown:
      description: Scale-out cooldown in seconds.
      type: int
      sample: 60
    disable_scale_in:
      description: Whether scale-in is disabled.
      type: bool
      sample: false
actions:
  description: The write calls made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: [RegisterScalableTarget, PutScalingPolicy]
diff:
  description: The target and policy before and after (also shown with C(--diff)).
  returned: always
  type: dict
"""

import contextlib
from typing import Any

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing boto3/botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
METRIC = "ECSServiceAverageCPUUtilization"
POLICY_TYPE = "TargetTrackingScaling"
RETRY_CODES = ["ThrottlingException", "ConcurrentUpdateException"]

ARGUMENT_SPEC: dict[str, Any] = {
    "cluster": {"type": "str", "required": True},
    "service": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "min_capacity": {"type": "int"},
    "max_capacity": {"type": "int"},
    "target_cpu_utilization": {"type": "float", "default": 75.0},
    "scale_in_cooldown": {"type": "int", "default": 60},
    "scale_out_cooldown": {"type": "int", "default": 60},
    "disable_scale_in": {"type": "bool", "default": False},
    "policy_name": {"type": "str"},
}


class ServiceNotFoundError(Exception):
    """The cluster or the service does not exist; the message names it."""


def validation_errors(params: dict[str, Any]) -> list[str]:
    """Everything wrong with the inputs, checked before any API call."""
    errors = []
    for name in ("cluster", "service"):
        value = params[name]
        if not value or "/" in value or ":" in value:
            errors.append(f"{name} must be a plain name (no '/' or ':'), got {value!r}")
    if params["state"] == "present":
        low, high = params["min_capacity"], params["max_capacity"]
        if low < 0:
            errors.append(f"min_capacity must be 0 or more, got {low}")
        if low > high:
            errors.append(f"min_capacity ({low}) must not be greater than max_capacity ({high})")
        target = params["target_cpu_utilization"]
        if not 0 < target <= 100:
            errors.append(f"target_cpu_utilization must be in (0, 100], got {target:g}")
        for name in ("scale_in_cooldown", "scale_out_cooldown"):
            if params[name] < 0:
                errors.append(f"{name} must be 0 or more seconds, got {params[name]}")
    return errors


def resource_id(cluster: str, service: str) -> str:
    return f"service/{cluster}/{service}"


def desired_target(params: dict[str, Any]) -> dict[str, int]:
    return {"min_capacity": params["min_capacity"], "max_capacity": params["max_capacity"]}


def desired_policy(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "policy_name": params["policy_name"],
        "metric": METRIC,
        "target_value": float(params["target_cpu_utilization"]),
        "scale_in_cooldown": params["scale_in_cooldown"],
        "scale_out_cooldown": params["scale_out_cooldown"],
        "disable_scale_in": params["disable_scale_in"],
    }


def policy_configuration(policy: dict[str, Any]) -> dict[str, Any]:
    """The API's TargetTrackingScalingPolicyConfiguration for a policy in this module's shape."""
    return {
        "TargetValue": policy["target_value"],
        "PredefinedMetricSpecification": {"PredefinedMetricType": policy["metric"]},
        "ScaleInCooldown": policy["scale_in_cooldown"],
        "ScaleOutCooldown": policy["scale_out_cooldown"],
        "DisableScaleIn": policy["disable_scale_in"],
    }


def normalise_target(target: dict[str, Any] | None) -> dict[str, int] | None:
    if target is None:
        return None
    return {"min_capacity": target.get("MinCapacity"), "max_capacity": target.get("MaxCapacity")}


def normalise_policy(policy: dict[str, Any] | None) -> dict[str, Any] | None:
    """A described policy in this module's shape; fields the API may omit get AWS's meaning."""
    if policy is None:
        return None
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    predefined = config.get("PredefinedMetricSpecification") or {}
    shaped = {
        "policy_name": policy.get("PolicyName"),
        "metric": predefined.get("PredefinedMetricType") if policy.get("PolicyType") == POLICY_TYPE else None,
        "target_value": float(config["TargetValue"]) if "TargetValue" in config else None,
        "scale_in_cooldown": config.get("ScaleInCooldown"),
        "scale_out_cooldown": config.get("ScaleOutCooldown"),
        "disable_scale_in": bool(config.get("DisableScaleIn", False)),
    }
    if config.get("CustomizedMetricSpecification"):
        shaped["metric"] = "customized"
    if policy.get("PolicyARN"):
        shaped["policy_arn"] = policy["PolicyARN"]
    return shaped


def comparable(shaped: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of a shaped policy that the module manages (the ARN is AWS's, not ours)."""
    if shaped is None:
        return None
    return {key: value for key, value in shaped.items() if key != "policy_arn"}


def ensure_service(ecs: Any, cluster: str, service: str) -> None:
    """Raise ServiceNotFoundError unless the service exists and is active in the cluster."""
    try:
        answer = ecs.describe_services(cluster=cluster, services=[service], aws_retry=True)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ClusterNotFoundException":
            raise ServiceNotFoundError(f"ECS cluster '{cluster}' not found") from exc
        raise
    active = [found for found in answer.get("services", []) if found.get("status") == "ACTIVE"]
    if not active:
        raise ServiceNotFoundError(f"ECS service '{service}' not found in cluster '{cluster}'")


def read_target(client: Any, rid: str) -> dict[str, Any] | None:
    answer = client.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[rid], ScalableDimension=DIMENSION, aws_retry=True
    )
    found = [target for target in answer.get("ScalableTargets", []) if target.get("ResourceId") == rid]
    return found[0] if found else None


def read_policy(client: Any, rid: str, name: str) -> dict[str, Any] | None:
    """The named policy of the resource (filtered here too: the emulator ignores PolicyNames)."""
    answer = client.describe_scaling_policies(
        ServiceNamespace=NAMESPACE, ResourceId=rid, ScalableDimension=DIMENSION, PolicyNames=[name], aws_retry=True
    )
    found = [
        policy
        for policy in answer.get("ScalingPolicies", [])
        if policy.get("PolicyName") == name and policy.get("ResourceId") == rid
    ]
    return found[0] if found else None


def planned_actions(state: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The write calls that turn `before` into `after`, in the order they must run."""
    if state == "absent":
        actions = ["DeleteScalingPolicy"] if before["scaling_policy"] else []
        return actions + (["DeregisterScalableTarget"] if before["scalable_target"] else [])
    actions = []
    if before["scalable_target"] != after["scalable_target"]:
        actions.append("RegisterScalableTarget")
    if comparable(before["scaling_policy"]) != after["scaling_policy"]:
        actions.append("PutScalingPolicy")
    return actions


def run_actions(client: Any, actions: list[str], rid: str, params: dict[str, Any]) -> str | None:
    """Make the write calls; return the policy ARN when a policy was put."""
    keys = {"ServiceNamespace": NAMESPACE, "ResourceId": rid, "ScalableDimension": DIMENSION}
    policy_arn = None
    for action in actions:
        if action == "RegisterScalableTarget":
            client.register_scalable_target(
                **keys, MinCapacity=params["min_capacity"], MaxCapacity=params["max_capacity"], aws_retry=True
            )
        elif action == "PutScalingPolicy":
            answer = client.put_scaling_policy(
                **keys,
                PolicyName=params["policy_name"],
                PolicyType=POLICY_TYPE,
                TargetTrackingScalingPolicyConfiguration=policy_configuration(desired_policy(params)),
                aws_retry=True,
            )
            policy_arn = answer.get("PolicyARN")
        elif action == "DeleteScalingPolicy":
            client.delete_scaling_policy(**keys, PolicyName=params["policy_name"], aws_retry=True)
        elif action == "DeregisterScalableTarget":
            client.deregister_scalable_target(**keys, aws_retry=True)
    return policy_arn


def converge(module: AnsibleAWSModule, params: dict[str, Any]) -> dict[str, Any]:
    retry = AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)
    scaling = module.client("application-autoscaling", retry_decorator=retry)
    rid = resource_id(params["cluster"], params["service"])
    if params["state"] == "present":
        ensure_service(module.client("ecs", retry_decorator=retry), params["cluster"], params["service"])

    current_policy = normalise_policy(read_policy(scaling, rid, params["policy_name"]))
    before = {"scalable_target": normalise_target(read_target(scaling, rid)), "scaling_policy": current_policy}
    if params["state"] == "present":
        after = {"scalable_target": desired_target(params), "scaling_policy": desired_policy(params)}
    else:
        after = {"scalable_target": None, "scaling_policy": None}
    actions = planned_actions(params["state"], before, after)

    policy_arn = (current_policy or {}).get("policy_arn")
    if actions and not module.check_mode:
        policy_arn = run_actions(scaling, actions, rid, params) or policy_arn
    if after["scaling_policy"] is not None and policy_arn:
        after["scaling_policy"] = dict(after["scaling_policy"], policy_arn=policy_arn)

    return {
        "changed": bool(actions),
        "actions": actions,
        "resource_id": rid,
        "scalable_target": after["scalable_target"] or {},
        "scaling_policy": after["scaling_policy"] or {},
        "diff": {"before": without_none(before), "after": without_none(after)},
    }


def without_none(view: dict[str, Any]) -> dict[str, Any]:
    """A diff side without the parts that do not exist (so 'absent' reads as nothing)."""
    return {key: value for key, value in view.items() if value is not None}


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[("state", "present", ("min_capacity", "max_capacity"))],
        supports_check_mode=True,
    )
    params = dict(module.params)
    params["policy_name"] = params["policy_name"] or f"{params['service']}-cpu-target-tracking"
    errors = validation_errors(params)
    if errors:
        module.fail_json(msg="; ".join(errors))
    try:
        result = converge(module, params)
    except ServiceNotFoundError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Application Auto Scaling of ECS service '{params['service']}' failed")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
