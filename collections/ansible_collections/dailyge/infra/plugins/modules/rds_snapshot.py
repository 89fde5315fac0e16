#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_snapshot
short_description: Daily manual RDS snapshot with safe rotation
version_added: 0.1.0
description:
  - Creates the manual snapshot C(<db>-daily-<YYYYMMDD>) of an RDS instance, named by the date in
    O(timezone) (Asia/Seoul), and tags it as made by this module. Running again the same day creates nothing.
  - Waits until the snapshot is C(available), then rotates - keeps the newest O(keep) of the module's own
    daily snapshots of that instance and deletes the older ones.
  - Never touches automated snapshots, snapshots it did not make (the name and the C(dailyge:created-by)
    tag must both match), or any snapshot that is not C(available); never deletes the newest available
    one, even with O(keep=0). Nothing is rotated when today's snapshot does not become available.
  - Warns when the region's manual snapshots are within O(quota_warning_margin) of O(quota)
    (manual snapshots never expire and count against a quota of 100 per region).
  - In check mode it only reads, and returns what it would create and delete.
options:
  db_instance_identifier:
    description: The RDS instance to snapshot.
    type: str
    required: true
  keep:
    description: How many of the module's own available daily snapshots to keep (the newest one is always kept).
    type: int
    default: 7
  create:
    description: Create today's snapshot when it does not exist yet.
    type: bool
    default: true
  rotate:
    description: Delete the module's own daily snapshots beyond O(keep).
    type: bool
    default: true
  wait:
    description: Wait until today's snapshot is available before rotating.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for today's snapshot; past it the module fails and rotates nothing.
    type: int
    default: 3600
  timezone:
    description: IANA time zone whose calendar date names the snapshot.
    type: str
    default: Asia/Seoul
  quota:
    description: The region's quota of manual DB snapshots.
    type: int
    default: 100
  quota_warning_margin:
    description: Warn when the manual snapshot count is at least O(quota) minus this.
    type: int
    default: 10
  tags:
    description:
      - Extra tags for the new snapshot. The module always adds C(dailyge:created-by=dailyge.infra.rds_snapshot)
        and C(dailyge:snapshot-kind=daily), which mark the snapshots it may rotate.
    type: dict
    default: {}
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Take today's snapshot and keep the newest seven
  dailyge.infra.rds_snapshot:
    db_instance_identifier: "{{ stack.rds_instance_identifier }}"
    keep: 7
    tags:
      Environment: "{{ dailyge_env }}"

- name: Only rotate (no new snapshot)
  dailyge.infra.rds_snapshot:
    db_instance_identifier: dailyge-prod
    create: false
    keep: 14
"""

RETURN = r"""
snapshot:
  description: Today's snapshot and its status (C(absent) when O(create=false) and none exists).
  returned: always
  type: dict
  sample: {"identifier": "dailyge-prod-daily-20261127", "status": "available"}
latest:
  description:
    - The newest available daily snapshot of the module's own (after this run), null when there is none.
      With O(create=false) and O(rotate=false) the module only reads, which is how the restore drill finds it.
  returned: always
  type: str
  sample: dailyge-prod-daily-20261127
created:
  description: Snapshots created (in check mode, that would be created).
  returned: always
  type: list
  elements: str
deleted:
  description: Snapshots deleted (in check mode, that would be deleted).
  returned: always
  type: list
  elements: str
  sample: ["dailyge-prod-daily-20261119"]
kept:
  description: The module's own available daily snapshots kept, newest first.
  returned: always
  type: list
  elements: str
not_available:
  description: The module's own daily snapshots left alone because they are not available.
  returned: always
  type: list
  elements: str
manual_snapshot_count:
  description: Manual DB snapshots in the region after this run.
  returned: always
  type: int
  sample: 12
quota:
  description: The quota the count was compared with.
  returned: always
  type: int
quota_warning:
  description: The warning when the count is within the margin of the quota, else null.
  returned: always
  type: str
"""

import contextlib

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dailyge.infra.plugins.module_utils import rds_daily_snapshots as engine
from ansible_collections.dailyge.infra.plugins.module_utils.local_days import zone
from ansible_collections.dailyge.infra.plugins.module_utils.retrying import retry_decorator
from ansible_collections.dailyge.infra.plugins.module_utils.waiting import Clock

ARGUMENT_SPEC = {
    "db_instance_identifier": {"type": "str", "required": True},
    "keep": {"type": "int", "default": 7},
    "create": {"type": "bool", "default": True},
    "rotate": {"type": "bool", "default": True},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 3600},
    "timezone": {"type": "str", "default": "Asia/Seoul"},
    "quota": {"type": "int", "default": 100},
    "quota_warning_margin": {"type": "int", "default": 10},
    "tags": {"type": "dict", "default": {}},
}


def options_from(params: dict) -> engine.Options:
    return engine.Options(
        db_instance_identifier=params["db_instance_identifier"],
        keep=params["keep"],
        create=params["create"],
        rotate=params["rotate"],
        wait=params["wait"],
        wait_timeout=float(params["wait_timeout"]),
        quota=params["quota"],
        quota_warning_margin=params["quota_warning_margin"],
        extra_tags={str(key): str(value) for key, value in params["tags"].items()},
    )


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        tz = zone(module.params["timezone"])
        options = options_from(module.params)
        engine.validate(options)
    except (ValueError, engine.SnapshotError) as exc:
        module.fail_json(msg=str(exc))

    client = module.client("rds", retry_decorator=retry_decorator())
    try:
        outcome, warnings = engine.run(client, options, tz, Clock(), module.check_mode)
    except engine.SnapshotError as exc:
        module.fail_json(msg=str(exc), changed=bool(exc.result.get("created")), **exc.result)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        module.fail_json_aws(exc, msg=f"RDS call failed for instance {options.db_instance_identifier}")

    for warning in warnings:
        module.warn(warning)
    module.exit_json(
        changed=outcome.changed,
        diff={"before": {"snapshots": outcome.before}, "after": {"snapshots": outcome.after}},
        **outcome.as_dict(),
    )


if __name__ == "__main__":
    main()
