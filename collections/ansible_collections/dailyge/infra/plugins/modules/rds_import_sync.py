#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rds_import_sync
short_description: Bring an RDS instance's console-tuned settings back into Terraform's inputs
version_added: 0.1.0
description:
  - The database is created by Terraform, then tuned in the AWS console. This module reads the live
    DB instance and the user-set parameters of its parameter group and writes them as Terraform input
    variables to a generated, commented C(*.tfvars.json) file, so that the next C(terraform plan)
    adopts the console's values instead of reverting them.
  - Settings read are instance class, allocated and maximum storage, backup window and retention,
    maintenance window, Multi-AZ, deletion protection, Performance Insights, and every parameter of
    the parameter group whose source is C(user).
  - When the instance exists in AWS but not in the Terraform state (O(in_state=false)), it also
    writes an C(import {}) block to O(import_path) so that the next plan imports the instance instead
    of creating it. When the instance is in the state, a generated import file left at O(import_path)
    is removed (its work is done).
  - Reports the drift found (live values against the values Terraform's state holds, when
    O(state_instance) is given) and the file changes as a diff.
  - Makes read calls only (C(DescribeDBInstances), C(DescribeDBParameters)); writes local files only
    when their content differs, so a second run reports C(changed=false). Check mode writes nothing.
  - An instance that does not exist fails with one line naming it, and nothing is written.
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
options:
  db_instance_identifier:
    description: Identifier of the live DB instance.
    required: true
    type: str
  parameter_group_name:
    description: Parameter group to read. Defaults to the (first) parameter group of the instance.
    type: str
  tfvars_path:
    description:
      - The generated variables file. Its name must end in C(.tfvars.json); use C(<name>.auto.tfvars.json)
        beside the environment's root module so that Terraform reads it automatically, or pass it with
        C(-var-file) after the inventory's variables so that its values win.
      - Its folder must exist.
    required: true
    type: path
  variable_names:
    description:
      - Terraform variable name of each setting. Keys not given keep their defaults
        C(instance_class=rds_instance_class), C(allocated_storage=rds_allocated_storage_gb),
        C(max_allocated_storage=rds_max_allocated_storage_gb), C(backup_window=rds_backup_window),
        C(backup_retention_period=rds_backup_retention_days), C(maintenance_window=rds_maintenance_window),
        C(multi_az=rds_multi_az), C(deletion_protection=rds_deletion_protection),
        C(performance_insights_enabled=rds_performance_insights_enabled), C(parameters=rds_parameters).
      - A setting mapped to an empty string is not written.
    type: dict
    default: {}
  in_state:
    description:
      - Whether O(terraform_address) is in the Terraform state. V(false) writes the import block to
        O(import_path); V(true) removes a generated import block left there.
    type: bool
  terraform_address:
    description: Address of the C(aws_db_instance) resource in the root module, e.g. C(module.rds.aws_db_instance.this).
    type: str
  import_path:
    description: File for the generated C(import {}) block (name ending in C(.tf), in the root module's folder).
    type: path
  state_instance:
    description:
      - Attributes of the C(aws_db_instance) resource as the Terraform state holds them (the C(values)
        of the resource in C(terraform show -json)). Used only to report drift.
    type: dict
    default: {}
  state_parameters:
    description:
      - Parameters of the parameter group as the Terraform state holds them (the C(parameter) list of the
        C(aws_db_parameter_group) resource in C(terraform show -json), items with C(name) and C(value)).
        Used only to report drift.
    type: list
    elements: dict
    default: []
  expected_backup_window_start:
    description:
      - UTC start (hh:mm) the daily backup window is expected to have; RV(findings) says so when the
        live window starts elsewhere (the live value is still written). 18:00 UTC is 03:00 Asia/Seoul.
        Empty disables the check.
    type: str
    default: "18:00"
  mode:
    description: File mode of the written files, as an octal string.
    type: str
    default: "0644"
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Throttling errors are retried with jittered backoff (C(AWSRetry)).
  - Variable precedence in Terraform is C(terraform.tfvars) < C(*.auto.tfvars.json) (lexical order)
    < C(-var-file) in command-line order. Values set by an earlier C(-var-file) (such as the inventory's)
    win over an automatically loaded file; pass this file again after them to make it win.
"""

EXAMPLES = r"""
- name: Write the console's RDS settings beside the prod root module
  dailyge.infra.rds_import_sync:
    db_instance_identifier: dailyge-prod
    tfvars_path: "{{ dailyge_repo_root }}/terraform/envs/prod/rds_sync.auto.tfvars.json"
    import_path: "{{ dailyge_repo_root }}/terraform/envs/prod/rds_import.tf"
    terraform_address: module.rds.aws_db_instance.this
    in_state: "{{ 'module.rds.aws_db_instance.this' in terraform_state_resources }}"

- name: Only report the drift
  dailyge.infra.rds_import_sync:
    db_instance_identifier: dailyge-dev
    tfvars_path: /tmp/rds_sync.auto.tfvars.json
  check_mode: true
  diff: true
"""

RETURN = r"""
variables:
  description: The Terraform variables written (or that would be written), by variable name.
  returned: success
  type: dict
  sample: {"rds_instance_class": "db.t4g.small", "rds_backup_retention_days": 14, "rds_parameters": {"time_zone": "Asia/Seoul"}}
drift:
  description: Settings whose live value differs from the Terraform state's, by variable name; empty without O(state_instance).
  returned: success
  type: dict
  sample: {"rds_instance_class": {"state": "db.t4g.micro", "live": "db.t4g.small"}}
parameter_group_name:
  description: The parameter group read.
  returned: success
  type: str
tfvars_path:
  description: The variables file.
  returned: success
  type: str
tfvars_changed:
  description: Whether the variables file was (or would be) written.
  returned: success
  type: bool
import_block:
  description: V(written), V(removed) or V(none) (what happened, or would happen, to the import file).
  returned: success
  type: str
findings:
  description: What looks wrong in the live settings (a backup window outside the expected start), one line each.
  returned: success
  type: list
  elements: str
diff:
  description: The drift (state before, live after) and each file's text before and after.
  returned: success
  type: list
"""

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing boto3/botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

GENERATED_MARK = "Generated by dailyge.infra.rds_import_sync"
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}$")
TF_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
TF_ADDRESS = re.compile(r"^(module\.[A-Za-z_][A-Za-z0-9_-]*(\[[^\]]+\])?\.)*aws_db_instance\.[A-Za-z_][A-Za-z0-9_-]*$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
OCTAL_MODE = re.compile(r"^0?[0-7]{3}$")

# setting -> (default Terraform variable, DescribeDBInstances field, aws_db_instance attribute, default when omitted)
SETTINGS: dict[str, tuple[str, str, str, Any]] = {
    "instance_class": ("rds_instance_class", "DBInstanceClass", "instance_class", None),
    "allocated_storage": ("rds_allocated_storage_gb", "AllocatedStorage", "allocated_storage", None),
    "max_allocated_storage": ("rds_max_allocated_storage_gb", "MaxAllocatedStorage", "max_allocated_storage", 0),
    "backup_window": ("rds_backup_window", "PreferredBackupWindow", "backup_window", None),
    "backup_retention_period": ("rds_backup_retention_days", "BackupRetentionPeriod", "backup_retention_period", 0),
    "maintenance_window": ("rds_maintenance_window", "PreferredMaintenanceWindow", "maintenance_window", None),
    "multi_az": ("rds_multi_az", "MultiAZ", "multi_az", False),
    "deletion_protection": ("rds_deletion_protection", "DeletionProtection", "deletion_protection", False),
    "performance_insights_enabled": (
        "rds_performance_insights_enabled",
        "PerformanceInsightsEnabled",
        "performance_insights_enabled",
        False,
    ),
}
PARAMETERS = "parameters"
DEFAULT_PARAMETERS_VARIABLE = "rds_parameters"

ARGUMENT_SPEC: dict[str, Any] = {
    "db_instance_identifier": {"type": "str", "required": True},
    "parameter_group_name": {"type": "str"},
    "tfvars_path": {"type": "path", "required": True},
    "variable_names": {"type": "dict", "default": {}},
    "in_state": {"type": "bool"},
    "terraform_address": {"type": "str"},
    "import_path": {"type": "path"},
    "state_instance": {"type": "dict", "default": {}},
    "state_parameters": {"type": "list", "elements": "dict", "default": []},
    "expected_backup_window_start": {"type": "str", "default": "18:00"},
    "mode": {"type": "str", "default": "0644"},
}


class InstanceNotFoundError(Exception):
    """The DB instance (or its parameter group) does not exist; the message names it."""


def variable_names(overrides: dict[str, Any]) -> dict[str, str]:
    names = {setting: spec[0] for setting, spec in SETTINGS.items()}
    names[PARAMETERS] = DEFAULT_PARAMETERS_VARIABLE
    names.update({key: str(value) for key, value in overrides.items()})
    return names


def validation_errors(params: dict[str, Any]) -> list[str]:
    """Everything wrong with the inputs, checked before any API call."""
    errors = []
    if not IDENTIFIER.match(params["db_instance_identifier"] or ""):
        errors.append(f"db_instance_identifier {params['db_instance_identifier']!r} is not a DB instance identifier")
    if not params["tfvars_path"].endswith(".tfvars.json"):
        errors.append(f"tfvars_path must end in .tfvars.json, got {params['tfvars_path']}")
    elif not Path(params["tfvars_path"]).parent.is_dir():
        errors.append(f"the folder of tfvars_path does not exist: {Path(params['tfvars_path']).parent}")
    unknown = sorted(set(params["variable_names"]) - set(SETTINGS) - {PARAMETERS})
    if unknown:
        errors.append(f"variable_names has unknown settings {unknown}; known: {sorted([*SETTINGS, PARAMETERS])}")
    bad_names = sorted(v for v in params["variable_names"].values() if v and not TF_NAME.match(str(v)))
    if bad_names:
        errors.append(f"variable_names holds names Terraform does not accept: {bad_names}")
    errors.extend(import_errors(params))
    if not OCTAL_MODE.match(params["mode"]):
        errors.append(f"mode must be an octal string such as '0644', got {params['mode']!r}")
    start = params["expected_backup_window_start"]
    if start and not HHMM.match(start):
        errors.append(f"expected_backup_window_start must be hh:mm (UTC) or empty, got {start!r}")
    return errors


def import_errors(params: dict[str, Any]) -> list[str]:
    if not params["import_path"]:
        return []
    errors = []
    if not params["import_path"].endswith(".tf"):
        errors.append(f"import_path must end in .tf, got {params['import_path']}")
    if params["in_state"] is None:
        errors.append("in_state is required with import_path (is the instance in the Terraform state?)")
    if not TF_ADDRESS.match(params["terraform_address"] or ""):
        errors.append(
            f"terraform_address must be the address of an aws_db_instance resource, got {params['terraform_address']!r}"
        )
    return errors


def read_instance(client: Any, identifier: str) -> dict[str, Any]:
    try:
        answer = client.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "DBInstanceNotFound":
            raise InstanceNotFoundError(f"RDS instance '{identifier}' does not exist: nothing written") from exc
        raise
    return answer["DBInstances"][0]


@AWSRetry.jittered_backoff(catch_extra_error_codes=["ThrottlingException"])
def describe_parameters(client: Any, group: str) -> list[dict[str, Any]]:
    paginator = client.get_paginator("describe_db_parameters")
    return paginator.paginate(DBParameterGroupName=group, Source="user").build_full_result().get("Parameters", [])


def read_parameters(client: Any, group: str) -> dict[str, str]:
    """The user-set parameters of the group (filtered here too: the emulator ignores Source)."""
    try:
        found = describe_parameters(client, group)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "DBParameterGroupNotFound":
            raise InstanceNotFoundError(f"DB parameter group '{group}' does not exist: nothing written") from exc
        raise
    return {
        item["ParameterName"]: str(item["ParameterValue"])
        for item in sorted(found, key=lambda item: item["ParameterName"])
        if item.get("Source", "user") == "user" and item.get("ParameterValue") is not None
    }


def parameter_group_of(instance: dict[str, Any]) -> str:
    groups = instance.get("DBParameterGroups") or []
    if not groups:
        raise InstanceNotFoundError(f"RDS instance '{instance['DBInstanceIdentifier']}' has no parameter group")
    return groups[0]["DBParameterGroupName"]


def live_values(instance: dict[str, Any], parameters: dict[str, str], names: dict[str, str]) -> dict[str, Any]:
    """The Terraform variables that describe the live instance, in a fixed order."""
    values: dict[str, Any] = {}
    for setting, (_variable, field, _attribute, missing) in SETTINGS.items():
        if names[setting]:
            values[names[setting]] = instance.get(field, missing)
    if names[PARAMETERS]:
        values[names[PARAMETERS]] = parameters
    return values


def state_values(instance: dict[str, Any], parameters: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """The same variables as the Terraform state holds them (empty when the state was not given)."""
    if not instance:
        return {}
    values: dict[str, Any] = {}
    for setting, (_variable, _field, attribute, missing) in SETTINGS.items():
        if names[setting]:
            value = instance.get(attribute)
            values[names[setting]] = missing if value is None else value
    if names[PARAMETERS]:
        values[names[PARAMETERS]] = {str(item["name"]): str(item["value"]) for item in parameters}
    return values


def drift(state: dict[str, Any], live: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"state": state.get(name), "live": value}
        for name, value in live.items()
        if state and state.get(name) != value
    }


def render_tfvars(values: dict[str, Any], identifier: str, group: str) -> str:
    header = [
        f"{GENERATED_MARK} (playbooks/rds_sync.yml): do not edit by hand.",
        f"The live settings of RDS instance '{identifier}' and the user-set parameters of '{group}',",
        "read after they were tuned in the console, so that the next terraform plan keeps them.",
        "Precedence: the inventory's terraform_vars are the base; this file is passed after them",
        "(-var-file), so these values win; the load-test override (if any) comes last.",
        "Change a value: change it in AWS, then run playbooks/rds_sync.yml again.",
    ]
    return json.dumps({"//": header, **values}, indent=2, ensure_ascii=False) + "\n"


def render_import(address: str, identifier: str) -> str:
    return (
        f"# {GENERATED_MARK} (playbooks/rds_sync.yml): do not edit by hand.\n"
        f"# RDS instance '{identifier}' exists in AWS but not in the Terraform state: the next plan\n"
        "# imports it (with the settings of the generated tfvars file) instead of creating it.\n"
        "# playbooks/rds_sync.yml removes this file once the instance is in the state.\n"
        "import {\n"
        f"  to = {address}\n"
        f'  id = "{identifier}"\n'
        "}\n"
    )


def read_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def planned_import(params: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(action, text before, text after) for the import file: written, removed or none."""
    path = params["import_path"]
    if not path:
        return "none", None, None
    before = read_text(path)
    if params["in_state"]:
        if before is not None and GENERATED_MARK in before:
            return "removed", before, None
        return "none", before, before
    after = render_import(params["terraform_address"], params["db_instance_identifier"])
    return ("written" if before != after else "none"), before, after


def write_atomically(module: AnsibleAWSModule, path: str, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=Path(path).parent, prefix=".rds_import_sync.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    Path(temporary).chmod(int(module.params["mode"], 8))
    module.atomic_move(temporary, path)


def file_diff(path: str, before: str | None, after: str | None) -> dict[str, str]:
    return {"before_header": path, "after_header": path, "before": before or "", "after": after or ""}


def drift_diff(found: dict[str, dict[str, Any]], address: str) -> dict[str, Any]:
    return {
        "before_header": f"terraform state ({address or 'aws_db_instance'})",
        "after_header": "live RDS instance",
        "before": {name: change["state"] for name, change in found.items()},
        "after": {name: change["live"] for name, change in found.items()},
    }


def backup_window_warning(window: str | None, expected_start: str) -> str | None:
    if not expected_start or not window or window.startswith(f"{expected_start}-"):
        return None
    return f"the backup window is {window} UTC; expected it to start at {expected_start} UTC (03:00 Asia/Seoul)"


def sync(module: AnsibleAWSModule, params: dict[str, Any]) -> dict[str, Any]:
    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=["Throttling"]))
    names = variable_names(params["variable_names"])
    instance = read_instance(client, params["db_instance_identifier"])
    group = params["parameter_group_name"] or parameter_group_of(instance)
    live = live_values(instance, read_parameters(client, group), names)
    found = drift(state_values(params["state_instance"], params["state_parameters"], names), live)

    tfvars_before = read_text(params["tfvars_path"])
    tfvars_after = render_tfvars(live, params["db_instance_identifier"], group)
    tfvars_changed = tfvars_before != tfvars_after
    import_action, import_before, import_after = planned_import(params)

    if not module.check_mode:
        if tfvars_changed:
            write_atomically(module, params["tfvars_path"], tfvars_after)
        if import_action == "written":
            write_atomically(module, params["import_path"], import_after)
        elif import_action == "removed":
            Path(params["import_path"]).unlink()

    diffs = [drift_diff(found, params["terraform_address"])] if found else []
    if tfvars_changed:
        diffs.append(file_diff(params["tfvars_path"], tfvars_before, tfvars_after))
    if import_action != "none":
        diffs.append(file_diff(params["import_path"], import_before, import_after))
    # Returned rather than module.warn(): amazon.aws 10 re-passes warnings to exit_json, which
    # ansible-core 2.19 reports as a deprecation on every run.
    warning = backup_window_warning(instance.get("PreferredBackupWindow"), params["expected_backup_window_start"])
    return {
        "changed": tfvars_changed or import_action != "none",
        "variables": live,
        "drift": found,
        "parameter_group_name": group,
        "tfvars_path": params["tfvars_path"],
        "tfvars_changed": tfvars_changed,
        "import_block": import_action,
        "diff": diffs,
        "findings": [warning] if warning else [],
    }


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = dict(module.params)
    errors = validation_errors(params)
    if errors:
        module.fail_json(msg="; ".join(errors))
    try:
        result = sync(module, params)
    except InstanceNotFoundError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"reading RDS instance '{params['db_instance_identifier']}' failed")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
