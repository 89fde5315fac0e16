#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module dailyge.infra.ecs_task_targets (documentation below)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: ecs_task_targets
short_description: Write a Prometheus file_sd file with every running ECS task on its dynamic host port
version_added: 0.1.0
description:
  - Lists the running tasks of the named ECS services, resolves each task's container instance to the
    private IP of its EC2 host and the host port bound to the container port (dynamic host ports,
    bridge network), and writes the targets as a Prometheus C(file_sd) JSON file.
  - Each target is labelled with C(cluster), C(service), C(task_id), C(task_definition),
    C(availability_zone) and C(instance_id), plus O(labels).
  - Batches the reads to the AWS limits, across services, C(ListTasks) per service (100 per page),
    C(DescribeTasks) and C(DescribeContainerInstances) with 100 ARNs per call, and
    C(DescribeInstances) with up to 1000 IDs per call. RV(api_calls) reports what one run made.
  - Writes atomically (a temporary file renamed over O(dest)) and only when the content changed;
    supports check mode (never writes) and diff mode.
  - The same code runs without Ansible as the cron job of the monitoring host
    (C(python3 ecs_targets.py --cluster C --service S --dest F), from this collection's module_utils).
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
options:
  cluster:
    description: Name or ARN of the ECS cluster.
    type: str
    required: true
  services:
    description: Names of the ECS services whose tasks are targets.
    type: list
    elements: str
    required: true
  dest:
    description: Path of the file_sd JSON file. Its folder must exist.
    type: path
    required: true
  container_port:
    description: Container port whose host binding is the scrape target.
    type: int
    default: 8080
  container_name:
    description: Only this container of each task; all containers when omitted.
    type: str
  labels:
    description: Extra labels added to every target (the module's own labels win on a clash).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.files
"""

EXAMPLES = r"""
- name: Targets of the API tasks on their dynamic ports
  dailyge.infra.ecs_task_targets:
    cluster: dailyge-prod
    services: [dailyge-prod-api]
    dest: /etc/prometheus/file_sd/ecs_tasks.json
    labels:
      env: prod
    mode: "0644"
"""

RETURN = r"""
targets:
  description: The file_sd groups written (one per task).
  returned: always
  type: list
  elements: dict
  sample:
    - targets: ["10.0.11.23:32781"]
      labels:
        cluster: dailyge-prod
        service: dailyge-prod-api
        task_id: 0a1b2c3d4e5f
        task_definition: dailyge-prod-api:12
        availability_zone: ap-northeast-2a
        instance_id: i-0123456789abcdef0
task_count:
  description: Number of targets written.
  returned: always
  type: int
  sample: 2
skipped:
  description: Running tasks left out, with the reason (no host port bound yet, host without private IP).
  returned: always
  type: list
  elements: dict
api_calls:
  description: AWS API calls this run made, by action.
  returned: always
  type: dict
  sample: {ListTasks: 1, DescribeTasks: 1, DescribeContainerInstances: 1, DescribeInstances: 1}
"""

import contextlib
from pathlib import Path
from typing import Any

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dailyge.infra.plugins.module_utils.ecs_targets import refresh


class RetryingClient:
    """Adds aws_retry=True to every call of a client made with a retry decorator."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith("_"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return attribute(*args, aws_retry=True, **kwargs)

        return call


def main() -> None:
    argument_spec = {
        "cluster": {"type": "str", "required": True},
        "services": {"type": "list", "elements": "str", "required": True},
        "dest": {"type": "path", "required": True},
        "container_port": {"type": "int", "default": 8080},
        "container_name": {"type": "str"},
        "labels": {"type": "dict", "default": {}},
    }
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, add_file_common_args=True)
    params = module.params
    if not params["services"]:
        module.fail_json(msg="services must name at least one ECS service")
    if not 1 <= params["container_port"] <= 65535:
        module.fail_json(msg=f"container_port must be a port number (1-65535), got {params['container_port']}")
    folder = Path(params["dest"]).resolve().parent
    if not folder.is_dir():
        module.fail_json(msg=f"the folder of dest does not exist: {folder}")

    retry = AWSRetry.jittered_backoff()
    ecs = RetryingClient(module.client("ecs", retry_decorator=retry))
    ec2 = RetryingClient(module.client("ec2", retry_decorator=retry))
    labels = {str(key): str(value) for key, value in params["labels"].items()}
    try:
        result = refresh(
            ecs,
            ec2,
            params["cluster"],
            params["services"],
            params["dest"],
            params["container_port"],
            params["container_name"],
            labels,
            write=not module.check_mode,
        )
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        module.fail_json_aws(exc, msg=f"Could not list the tasks of {params['services']} in {params['cluster']}")
    except OSError as exc:
        module.fail_json(msg=f"Could not write {params['dest']}: {exc}")

    changed = result["changed"]
    if Path(params["dest"]).exists():
        file_args = module.load_file_common_arguments(params)
        changed = module.set_fs_attributes_if_different(file_args, changed)
    output: dict[str, Any] = {
        "changed": changed,
        "targets": result["groups"],
        "task_count": len(result["groups"]),
        "skipped": result["skipped"],
        "api_calls": result["calls"],
    }
    if module._diff and result["changed"]:
        output["diff"] = {
            "before": result["before"],
            "after": result["after"],
            "before_header": params["dest"],
            "after_header": params["dest"],
        }
    module.exit_json(**output)


if __name__ == "__main__":
    main()
