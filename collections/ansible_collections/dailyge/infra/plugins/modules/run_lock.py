#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: run_lock
short_description: Per-environment run lock in S3 (conditional writes) or in a file
version_added: 0.1.0
description:
  - Takes (O(state=present)) or releases (O(state=absent)) the lock of one environment, so that two
    runs of the operations (by hand, from cron, from CI) or two deployments never work on the same
    environment at once.
  - The lock is one small JSON object naming its holder - C(pid), C(host), C(user), C(play), C(started)
    (UTC) and the process's start time. With O(bucket) it is the object O(key) of that bucket, created with
    a conditional write (header C(If-None-Match) set to C(*)); two runs racing for it cannot both win. Without O(bucket) it
    is the file O(path), written under flock(2) on its folder, atomically (temporary file, fsync, rename).
  - A lock held by another run is refused with one line naming that run (play, pid, host, user) and
    since when it holds the lock.
  - A lock is taken over (conditional write C(If-Match) on the ETag read) only when its holder is gone -
    older than O(stale_after) seconds by the backend's clock (S3's C(Date) and C(Last-Modified), the file's
    mtime), or held by a process of this host that no longer exists. A failed run therefore never blocks
    the next one for longer than that.
  - Releasing deletes the lock only when this run holds it (C(If-Match) on the ETag read); a lock another
    run took over is left alone.
  - The holder is the outermost C(ansible-playbook) process the module runs under (O(holder_pid) overrides
    it), so the lock lives as long as the playbook run, and taking it again in the same run changes nothing.
  - In check mode it only reads, and says what it would do; a lock held by another run is refused as well.
options:
  name:
    description: Name of the lock, the environment (C(local), C(dev), C(prod)) or C(deploy-<env>); shown in messages.
    type: str
    required: true
  state:
    description: C(present) takes the lock, C(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  bucket:
    description: S3 bucket of the lock (the environment's archive bucket). Empty - the file O(path).
    type: str
    default: ""
  key:
    description: Object key of the lock in O(bucket). Empty - C(locks/<name>.json).
    type: str
    default: ""
  path:
    description: The lock file when O(bucket) is empty (for example C(.state/locks/<env>.json)).
    type: path
  play:
    description: What holds the lock (the play or job name), shown to a run that is refused.
    type: str
    default: ""
  what:
    description: The word for what is running in the refusal, C(another <what> of <name> is running (...)).
    type: str
    default: run
  stale_after:
    description: Seconds after which a lock is stale and may be taken over whoever holds it (12 h).
    type: int
    default: 43200
  wait:
    description:
      - Seconds to wait for a lock another run holds (trying again every 15 s) before giving up; 0 refuses at once.
      - The scheduled jobs wait (a backup waits for a long log archive), a run by hand does not.
    type: int
    default: 0
  holder_pid:
    description: Pid of the holder; 0 - the outermost C(ansible-playbook) process this module runs under.
    type: int
    default: 0
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
notes:
  - S3 conditional writes (C(If-None-Match) and C(If-Match) on PutObject, C(If-Match) on DeleteObject) need
    botocore 1.35.x or newer; the embedded AWS (moto 5.2) honours them (tests/unit/test_emulator_patches.py).
  - The dead-holder rule only applies to a holder on the same host (its pid means nothing elsewhere).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Take the run lock of the environment
  dailyge.infra.run_lock:
    name: "{{ dailyge_env }}"
    bucket: "{{ stack.archive_bucket_name }}"
    play: restore_drill
  register: run_lock_taken

- name: Release it (only when this run holds it)
  dailyge.infra.run_lock:
    name: "{{ dailyge_env }}"
    bucket: "{{ stack.archive_bucket_name }}"
    state: absent

- name: The local deploy lock, a file
  dailyge.infra.run_lock:
    name: local
    path: "{{ dailyge_state_dir }}/terraform/local/deploy.lock"
    what: deploy
    play: site.yml
"""

RETURN = r"""
outcome:
  description: What was done (C(take the free lock), C(take over the lock (<reason>)), C(already held by this run), C(released), ...).
  returned: always
  type: str
  sample: take the free lock
acquired:
  description: Whether this run holds the lock after the task (in check mode, would hold it).
  returned: always
  type: bool
released:
  description: Whether this run released the lock (in check mode, would release it).
  returned: always
  type: bool
holder:
  description: The holder of the lock after the task (null when free).
  returned: always
  type: dict
  sample: {"pid": 4242, "host": "ops-1", "user": "root", "play": "backup", "started": "2026-12-03T03:00:01Z", "pid_start": 81234}
previous_holder:
  description: The holder a stale lock was taken over from (null otherwise).
  returned: always
  type: dict
location:
  description: Where the lock lives, C(s3://<bucket>/<key>) or the file's path.
  returned: always
  type: str
  sample: s3://dailyge-prod-archive/locks/prod.json
"""

import contextlib
import re

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dailyge.infra.plugins.module_utils import run_locks as engine

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "bucket": {"type": "str", "default": ""},
    "key": {"type": "str", "default": "", "no_log": False},
    "path": {"type": "path"},
    "play": {"type": "str", "default": ""},
    "what": {"type": "str", "default": "run"},
    "stale_after": {"type": "int", "default": 43200},
    "wait": {"type": "int", "default": 0},
    "holder_pid": {"type": "int", "default": 0},
}

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def validate(params: dict) -> None:
    if not NAME.match(params["name"]):
        raise ValueError(f"name={params['name']!r}: a lock name is letters, digits, '.', '_' or '-' (the environment)")
    if params["stale_after"] <= 0:
        raise ValueError(
            f"stale_after={params['stale_after']}: the seconds after which a lock is stale must be positive"
        )
    if params["wait"] < 0:
        raise ValueError(f"wait={params['wait']}: the seconds to wait for the lock cannot be negative")
    if params["holder_pid"] < 0:
        raise ValueError(f"holder_pid={params['holder_pid']}: a pid is positive (0: this playbook run)")
    if not params["bucket"] and not params["path"]:
        raise ValueError("give the lock a bucket (S3) or a path (file): both are empty")


def backend_for(module: AnsibleAWSModule):
    params = module.params
    if params["bucket"]:
        key = params["key"] or f"locks/{params['name']}.json"
        return engine.S3Backend(module.client("s3"), params["bucket"], key, botocore.exceptions.ClientError)
    return engine.FileBackend(params["path"])


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        validate(params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    backend = backend_for(module)
    me = engine.this_process(params["play"], params["holder_pid"])
    try:
        if params["state"] == "present":
            outcome = engine.acquire_waiting(
                backend,
                me,
                wait=params["wait"],
                name=params["name"],
                what=params["what"],
                stale_after=params["stale_after"],
                check_mode=module.check_mode,
            )
        else:
            outcome = engine.release(backend, me, check_mode=module.check_mode)
    except engine.LockError as exc:
        module.fail_json(msg=str(exc), location=backend.location, acquired=False, released=False)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        module.fail_json_aws(
            exc, msg=f"the lock of {params['name']} could not be read or written at {backend.location}"
        )
    except OSError as exc:
        module.fail_json(msg=f"the lock file {backend.location} could not be read or written: {exc}")

    holder = outcome["holder"]
    previous = outcome.get("previous")
    holder_dict = holder.as_dict() if holder else {}
    if params["state"] == "present":
        before = (previous.as_dict() if previous else {}) if outcome["changed"] else holder_dict
        after = holder_dict
    else:
        if outcome["action"] == "held by another run: left alone":
            module.warn(f"the lock of {params['name']} ({backend.location}) is held by another run now: left alone")
        before = holder_dict
        after = {} if outcome["changed"] else holder_dict
    module.exit_json(
        changed=outcome["changed"],
        outcome=outcome["action"],
        acquired=params["state"] == "present",
        released=params["state"] == "absent" and outcome["changed"],
        holder=after or None,
        previous_holder=previous.as_dict() if previous else None,
        location=backend.location,
        diff={"before": before, "after": after},
    )


if __name__ == "__main__":
    main()
