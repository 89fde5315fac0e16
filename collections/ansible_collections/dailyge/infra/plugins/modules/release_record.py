#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: release_record
short_description: Read or write the record of an environment's releases (an SSM String parameter)
version_added: 0.1.0
description:
  - >-
    The record of the last release of an environment is a JSON object in an SSM String parameter that
    Terraform creates (with the placeholder C({"image": "<repo>:bootstrap"})) and whose later changes it
    ignores. Terraform reads C(.image) from it, so every record keeps C(image), the full image reference.
  - A release record is a JSON object with at least C(tag), C(digest) and C(image); the placeholder is not one.
  - O(state=query) only reads (also in check mode) and returns the current record, every release
    record of the parameter's history, the digests of the accepted releases and the rollback target
    (the newest accepted release whose digest differs from the current one).
  - O(state=present) writes O(record) as compact JSON with sorted keys; nothing is written when the
    parameter already holds exactly that (C(changed=false)), nor in check mode.
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
options:
  parameter:
    description: Name of the SSM parameter.
    required: true
    type: str
  state:
    description: V(query) reads the records; V(present) writes O(record).
    choices: [query, present]
    default: query
    type: str
  record:
    description:
      - The release record to write with O(state=present); needs C(tag), C(digest) and C(image).
      - The release playbook sends environment, image, tag, digest, task_definition_arn, revision, commit,
        released_at, accepted, result and previous.
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Throttling is retried with jittered backoff (module_utils/retrying.py).
  - Supports C(--diff) with O(state=present).
"""

EXAMPLES = r"""
- name: Read the releases of dev
  dailyge.infra.release_record:
    parameter: /dailyge/dev/api/release
  register: dev_releases

- name: Record the release
  dailyge.infra.release_record:
    parameter: /dailyge/prod/api/release
    state: present
    record:
      environment: prod
      image: 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/dailyge-api:3f2a9c1@sha256:5b0b
      tag: 3f2a9c1
      digest: sha256:5b0b
      accepted: true
      result: accepted
      previous: null
"""

RETURN = r"""
current:
  description: The current release record (after the write with O(state=present)); null when the value is not one.
  returned: always
  type: dict
history:
  description: Every release record of the parameter's history, oldest first (O(state=query)).
  returned: when state is query
  type: list
  elements: dict
accepted_digests:
  description: Digests of the records with C(accepted=true), oldest first, each once (O(state=query)).
  returned: when state is query
  type: list
  elements: str
rollback_target:
  description: The newest accepted record whose digest differs from the current one, or null (O(state=query)).
  returned: when state is query
  type: dict
diff:
  description: The parameter value before and after (O(state=present)).
  returned: when state is present
  type: dict
"""

import contextlib
from typing import Any

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing boto3/botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dailyge.infra.plugins.module_utils.ecs_release import (
    ReleaseError,
    missing_record_keys,
    parse_record,
    query_records,
    read_parameter,
    render_record,
)
from ansible_collections.dailyge.infra.plugins.module_utils.retrying import retry_decorator

ARGUMENT_SPEC: dict[str, Any] = {
    "parameter": {"type": "str", "required": True},
    "state": {"type": "str", "default": "query", "choices": ["query", "present"]},
    "record": {"type": "dict"},
}


def write(module: AnsibleAWSModule, ssm: Any, name: str, record: dict[str, Any]) -> dict[str, Any]:
    before = read_parameter(ssm, name)
    after = render_record(record)
    changed = before != after
    if changed and not module.check_mode:
        ssm.put_parameter(Name=name, Value=after, Type="String", Overwrite=True, aws_retry=True)
    return {"changed": changed, "current": parse_record(after), "diff": {"before": before, "after": after}}


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC, required_if=[("state", "present", ("record",))], supports_check_mode=True
    )
    name, state, record = module.params["parameter"], module.params["state"], module.params["record"]
    if state == "present":
        missing = missing_record_keys(record)
        if missing:
            module.fail_json(
                msg=f"record for SSM parameter {name} lacks {', '.join(missing)}: a release record needs tag, digest and image"
            )
    ssm = module.client("ssm", retry_decorator=retry_decorator())
    try:
        result = (
            write(module, ssm, name, record) if state == "present" else dict(query_records(ssm, name), changed=False)
        )
    except ReleaseError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"reading or writing the release record {name} failed")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
