#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: job_record
short_description: Write the record of a job run (its result, whatever Slack did) atomically
version_added: 0.1.0
description:
  - Writes O(record) as a JSON document to O(path) (for example C(.state/jobs/<job>.json)), the record of
    the last run of a scheduled job - its result, duration, details and whether Slack took the report.
  - The write is atomic - a temporary file in the same folder, fsync, then rename - so a reader (or a
    full disk, or a crash) sees the old record or the new one, never half of one; a failed write leaves
    the old record intact.
  - Nothing is written when the record on disk is already the same (changed=false).
  - In check mode it only reads, and returns the diff.
options:
  path:
    description: The record file; its folder is created when missing.
    type: path
    required: true
  record:
    description: The record, a JSON object.
    type: dict
    required: true
  mode:
    description: Permissions of the record file (octal string).
    type: str
    default: "0644"
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
"""

EXAMPLES = r"""
- name: Record the run of the backup job
  dailyge.infra.job_record:
    path: "{{ dailyge_state_dir }}/jobs/backup.json"
    record:
      job: backup
      result: success
      slack: {delivered: false, status: 500, attempts: 3}
"""

RETURN = r"""
path:
  description: The record file.
  returned: always
  type: str
  sample: /srv/dailyge/.state/jobs/backup.json
record:
  description: The record as written (or, in check mode, as it would be).
  returned: always
  type: dict
"""

import json
import re
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dailyge.infra.plugins.module_utils.atomic_file import read_bytes, write_atomically

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "record": {"type": "dict", "required": True},
    "mode": {"type": "str", "default": "0644"},
}


def render(record: dict) -> bytes:
    return (json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    path, record, mode = module.params["path"], module.params["record"], module.params["mode"]
    if not re.match(r"^0?[0-7]{3}$", mode):
        module.fail_json(msg=f"mode={mode!r}: permissions are an octal string such as '0644'")
    if Path(path).is_dir():
        module.fail_json(msg=f"path={path}: is a folder, the record must be a file (e.g. .state/jobs/<job>.json)")

    content = render(record)
    try:
        before = read_bytes(path)
    except OSError as exc:
        module.fail_json(msg=f"the job record {path} could not be read: {exc}")
    changed = before != content
    if changed and not module.check_mode:
        try:
            write_atomically(path, content, int(mode, 8))
        except OSError as exc:
            module.fail_json(msg=f"the job record {path} could not be written ({exc}); the previous record is intact")
    module.exit_json(
        changed=changed,
        path=path,
        record=record,
        diff={"before": (before or b"").decode("utf-8", "replace"), "after": content.decode("utf-8")},
    )


if __name__ == "__main__":
    main()
