#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: secretsmanager_value
short_description: Keep the JSON value of an existing Secrets Manager secret up to date, idempotently
version_added: "0.1.0"
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
description:
  - Puts a JSON object as the current value (C(AWSCURRENT)) of a secret that already exists (Terraform creates
    the secret, its policy, KMS key and tags; this module only manages its value).
  - Reads the current value first and compares the parsed JSON; a new version is put only when the object
    differs, so an unchanged run creates no version and reports C(changed=false).
  - Never returns or logs a value. It reports the property paths that were added, changed or removed, and the
    diff (C(--diff)) shows those paths with the values hidden.
  - Refuses a value larger than Secrets Manager's limit of 65536 bytes (64 KiB), stating its size, before
    calling AWS.
  - The put carries one client request token for all its retries, so a retried call never creates two versions.
  - Unlike M(community.aws.secretsmanager_secret), it does not reset the description, KMS key, resource policy
    or rotation that Terraform manages on the same secret.
options:
  secret_id:
    description: Name or ARN of the secret (Terraform's output C(app_config_secret_name)).
    type: str
    required: true
    aliases: [name]
  value:
    description:
      - The JSON object to store. Never logged.
      - Pass it as JSON text (C({{ data | to_json }})) so that Ansible's C(no_log) masks the document as a whole;
        a mapping also works, but then each of its values is masked wherever it appears in the module's output.
    type: json
    required: true
notes:
  - The module's argument O(value) is plaintext; set C(no_log=true) on the task (the module's own no_log only
    masks the argument in its result) and enable pipelining (C(ansible_pipelining=true)) so that the argument is
    not written to a temporary file.
  - Needs C(secretsmanager:DescribeSecret), C(secretsmanager:GetSecretValue) and C(secretsmanager:PutSecretValue).
attributes:
  check_mode:
    description: Compares the stored value with the new one and reports the change, and creates no secret version.
    support: full
  diff_mode:
    description: Shows the changed paths of the secret with every value hidden.
    support: full
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Sync the decrypted application config into the secret Terraform created
  dailyge.infra.secretsmanager_value:
    secret_id: "{{ stack.app_config_secret_name }}"
    value: "{{ app_config.config | to_json }}"
  register: secret_sync
  no_log: true

- name: Say what changed (paths only)
  ansible.builtin.debug:
    msg: "{{ secret_sync.changed_paths }}"
"""

RETURN = r"""
arn:
  description: ARN of the secret.
  returned: success
  type: str
  sample: arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dailyge/local/app-config-AbCdEf
name:
  description: Name of the secret.
  returned: success
  type: str
version_id:
  description: Version of the current value after the run (the new one when a value was put); null in check mode
    when a version would be created, or when the secret has no value yet.
  returned: success
  type: str
size_bytes:
  description: Size of the JSON text stored, in bytes (the limit is 65536).
  returned: success
  type: int
changed_paths:
  description: Property paths (dotted, C([index]) for lists) added, changed or removed; values are never returned.
  returned: success
  type: dict
  sample: {"added": ["jwt.secret-key"], "changed": ["spring.datasource.password"], "removed": []}
"""

import json
import uuid
from typing import Any

try:  # noqa: SIM105 - the Ansible pattern: AnsibleAWSModule reports a missing SDK
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dailyge.infra.plugins.module_utils import config_tree

MAX_SECRET_BYTES = 65536
HIDDEN = "(hidden)"


def canonical_json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_value(module: AnsibleAWSModule, raw: Any) -> dict[str, Any]:
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        module.fail_json(msg="value is not valid JSON")
    if not isinstance(document, dict):
        module.fail_json(msg="value must be a JSON object (Spring reads a secret as a map of properties)")
    return document


def describe(module: AnsibleAWSModule, client: Any, secret_id: str) -> dict[str, Any]:
    try:
        secret = client.describe_secret(SecretId=secret_id, aws_retry=True)
    except is_boto3_error_code("ResourceNotFoundException"):
        module.fail_json(
            msg=f"secret {secret_id} does not exist: Terraform creates it (output app_config_secret_name); "
            "run the provision phase first"
        )
    except (BotoCoreError, ClientError) as exc:  # pylint: disable=duplicate-except
        module.fail_json_aws(exc, msg=f"cannot describe secret {secret_id}")
    if secret.get("DeletedDate"):
        module.fail_json(msg=f"secret {secret_id} is scheduled for deletion: restore it (or re-apply Terraform) first")
    return secret


def current_value(module: AnsibleAWSModule, client: Any, secret_id: str) -> tuple[str | None, str | None]:
    """(SecretString, VersionId) of AWSCURRENT, or (None, None) when the secret has no value yet."""
    try:
        answer = client.get_secret_value(SecretId=secret_id, aws_retry=True)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None, None
    except (BotoCoreError, ClientError) as exc:  # pylint: disable=duplicate-except
        module.fail_json_aws(exc, msg=f"cannot read the current value of secret {secret_id}")
    return answer.get("SecretString"), answer.get("VersionId")


def parse_current(text: str | None) -> dict[str, Any] | None:
    """The stored object, or None when there is none or it is not a JSON object (then everything changes)."""
    if text is None:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def compare(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[str]]:
    old = dict(config_tree.iter_leaves(before)) if before else {}
    new = dict(config_tree.iter_leaves(after)) if after else {}
    return {
        "added": sorted(set(new) - set(old)),
        "changed": sorted(path for path in set(new) & set(old) if new[path] != old[path]),
        "removed": sorted(set(old) - set(new)),
    }


def hidden_diff(before: dict[str, Any] | None, after: dict[str, Any], changes: dict[str, list[str]]) -> dict[str, Any]:
    """A diff of paths with every value hidden: changed paths are marked, values never shown."""
    old_paths = [path for path, _value in config_tree.iter_leaves(before)] if before else []
    marks = dict.fromkeys(changes["changed"], f"{HIDDEN} changed") | dict.fromkeys(changes["added"], f"{HIDDEN} added")
    return {
        "before": dict.fromkeys(old_paths, HIDDEN),
        "after": {path: marks.get(path, HIDDEN) for path, _value in config_tree.iter_leaves(after)} if after else {},
    }


def put_value(module: AnsibleAWSModule, client: Any, secret_id: str, text: str) -> str | None:
    try:
        answer = client.put_secret_value(
            SecretId=secret_id, SecretString=text, ClientRequestToken=str(uuid.uuid4()), aws_retry=True
        )
    except (BotoCoreError, ClientError) as exc:
        module.fail_json_aws(exc, msg=f"cannot put the new value of secret {secret_id}")
    return answer.get("VersionId")


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "secret_id": {"type": "str", "required": True, "aliases": ["name"]},
            "value": {"type": "json", "required": True, "no_log": True},
        },
        supports_check_mode=True,
    )
    secret_id = module.params["secret_id"]
    document = parse_value(module, module.params["value"])
    text = canonical_json(document)
    size = len(text.encode("utf-8"))
    if size > MAX_SECRET_BYTES:
        module.fail_json(
            msg=f"the value of secret {secret_id} is {size} bytes as JSON, over the Secrets Manager limit of "
            f"{MAX_SECRET_BYTES} bytes (64 KiB): move large or non-secret settings out of the config"
        )
    # Secrets Manager throttles with ThrottlingException, which AWSRetry does not retry by default.
    retry = AWSRetry.jittered_backoff(catch_extra_error_codes=["ThrottlingException"])
    client = module.client("secretsmanager", retry_decorator=retry)
    secret = describe(module, client, secret_id)
    stored_text, version_id = current_value(module, client, secret_id)
    stored = parse_current(stored_text)
    changes = compare(stored, document)
    changed = stored != document
    if changed and not module.check_mode:
        version_id = put_value(module, client, secret.get("ARN", secret_id), text)
    elif changed:
        version_id = None
    result: dict[str, Any] = {
        "changed": changed,
        "arn": secret.get("ARN"),
        "name": secret.get("Name"),
        "version_id": version_id,
        "size_bytes": size,
        "changed_paths": changes,
    }
    if module._diff:
        result["diff"] = hidden_diff(stored, document, changes)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
