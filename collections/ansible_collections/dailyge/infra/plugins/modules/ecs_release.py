#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ecs_release
short_description: Release one image tag of ECR onto an ECS service and wait for its rollout
version_added: 0.1.0
description:
  - Resolves O(image_tag) in the ECR repository O(repository) to its digest and releases the image
    C(<repositoryUri>:<tag>@<digest>) (pinned by digest as well as tag) to the container O(container)
    of the ECS service O(service).
  - Every refusal comes before any write, and also in check mode, as one line naming the tag and the
    repository or service - a malformed tag, a moving tag (O(moving_tags)), a tag that is not in the
    repository, a digest other than O(expected_digest), a service that does not exist or is not active.
  - When the container already runs that image nothing is written (C(changed=false)).
  - Otherwise registers a copy of the service's current task definition revision that differs only in
    that container's image, updates the service to it and polls C(DescribeServices) until the
    C(PRIMARY) deployment of the new revision is C(COMPLETED).
  - A deployment that fails, or that the deployment circuit breaker rolls back, fails the task naming
    the revision and image the service returned to; a rollout still C(IN_PROGRESS) after
    O(wait_timeout) seconds fails naming the revision.
  - Check mode makes read calls only and returns the diff of the task definition and the image.
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
options:
  cluster:
    description: Name of the ECS cluster.
    required: true
    type: str
  service:
    description: Name of the ECS service in O(cluster).
    required: true
    type: str
  container:
    description: Name of the container of the task definition whose image is released.
    type: str
    default: api
  repository:
    description: Name of the ECR repository of the image.
    required: true
    type: str
  image_tag:
    description:
      - The tag to release; an immutable tag (the build's commit), not one of O(moving_tags).
      - ECR's tag grammar - letters, digits, C(_), C(.) and C(-), at most 128, not starting with C(.) or C(-).
    required: true
    type: str
  expected_digest:
    description:
      - When given, the tag must resolve to this digest (C(sha256:...)); promotion and rollback pin the
        digest another environment accepted.
    type: str
  moving_tags:
    description: Tags that move between images and are refused (compared case-insensitively).
    type: list
    elements: str
    default: [latest]
  wait_timeout:
    description: Seconds to wait for the rollout to complete.
    type: int
    default: 600
  wait_delay:
    description: Seconds between two polls of the service's deployments.
    type: int
    default: 5
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Throttling is retried with jittered backoff (module_utils/retrying.py).
  - Supports C(--diff); the diff shows the task definition and the image before and after.
"""

EXAMPLES = r"""
- name: Release the build of commit 3f2a9c1
  dailyge.infra.ecs_release:
    cluster: "{{ stack.ecs_cluster_name }}"
    service: "{{ stack.ecs_service_name }}"
    repository: dailyge-api
    image_tag: 3f2a9c1

- name: Promote to prod the digest that dev accepted
  dailyge.infra.ecs_release:
    cluster: dailyge-prod
    service: dailyge-api
    repository: dailyge-api
    image_tag: 3f2a9c1
    expected_digest: "{{ dev_release.current.digest }}"
    wait_timeout: 900
"""

RETURN = r"""
previous:
  description: The task definition revision and image running before the release.
  returned: success
  type: dict
  contains:
    task_definition_arn:
      description: ARN of the revision.
      type: str
    revision:
      description: Revision number.
      type: int
    image:
      description: Image of O(container).
      type: str
current:
  description: The revision and image after the release (in check mode as they would be; the ARN is C((new revision))).
  returned: success
  type: dict
  contains:
    task_definition_arn:
      description: ARN of the revision now running.
      type: str
    revision:
      description: Revision number (null in check mode when a revision would be registered).
      type: int
    image:
      description: The image reference C(<repositoryUri>:<tag>@<digest>).
      type: str
      sample: 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/dailyge-api:3f2a9c1@sha256:5b0b...
    tag:
      description: The released tag.
      type: str
    digest:
      description: Digest of the released image.
      type: str
diff:
  description: Task definition and image before and after.
  returned: success
  type: dict
"""

import contextlib
from typing import Any

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing boto3/botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dailyge.infra.plugins.module_utils.ecs_release import (
    ReleaseError,
    apply_release,
    current_view,
    plan_release,
)
from ansible_collections.dailyge.infra.plugins.module_utils.retrying import retry_decorator
from ansible_collections.dailyge.infra.plugins.module_utils.waiting import Clock

ARGUMENT_SPEC: dict[str, Any] = {
    "cluster": {"type": "str", "required": True},
    "service": {"type": "str", "required": True},
    "container": {"type": "str", "default": "api"},
    "repository": {"type": "str", "required": True},
    "image_tag": {"type": "str", "required": True},
    "expected_digest": {"type": "str"},
    "moving_tags": {"type": "list", "elements": "str", "default": ["latest"]},
    "wait_timeout": {"type": "int", "default": 600},
    "wait_delay": {"type": "int", "default": 5},
}

CLOCK = Clock()  # replaced by tests


def release(module: AnsibleAWSModule, params: dict[str, Any]) -> dict[str, Any]:
    retry = retry_decorator()
    ecr = module.client("ecr", retry_decorator=retry)
    ecs = module.client("ecs", retry_decorator=retry)
    plan = plan_release(ecr, ecs, params)
    previous = plan.previous
    if not plan.changed:
        current = current_view(plan, previous["task_definition_arn"], previous["revision"])
    elif module.check_mode:
        current = current_view(plan, "(new revision)", None)
    else:
        current = apply_release(ecs, plan, params, CLOCK)
    return {"changed": plan.changed, "previous": previous, "current": current, "diff": plan.diff()}


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = dict(module.params)
    for name in ("wait_timeout", "wait_delay"):
        if params[name] < 0:
            module.fail_json(msg=f"{name}={params[name]} must be 0 or more seconds")
    try:
        result = release(module, params)
    except ReleaseError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(
            exc, msg=f"the release of image_tag={params['image_tag']} to service {params['service']} failed"
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
