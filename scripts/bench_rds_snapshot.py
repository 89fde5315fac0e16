#!/usr/bin/env python3
"""Benchmark one snapshot rotation: dailyge.infra.rds_snapshot against the naive amazon.aws way.

With N of the tool's own daily snapshots in the emulator (default 1,000), plus the automated
snapshots of several instances and foreign manual ones, it times one rotation keeping 7 and counts
the API calls (emulator recording), done two ways on identically seeded fresh emulators:

* module: one `dailyge.infra.rds_snapshot` task (create: false, keep: 7);
* naive:  `amazon.aws.rds_snapshot_info` (manual snapshots of the instance), a Jinja filter on the
          name and the tool's tag, then a loop of `amazon.aws.rds_instance_snapshot state=absent`.
          (amazon.aws 10.1's rds_snapshot_info returns `tags: {}` for instance snapshots - it reads
          `Tags` where the API answers `TagList` - so the filter reads the raw `tag_list`.)

Both must leave exactly the same snapshots (checked). Starts its own emulators on free ports.

    .venv/bin/python scripts/bench_rds_snapshot.py [--own 1000] [--output .state/bench/rds_snapshot.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]
# ansible-playbook is the one beside this interpreter (the project's virtualenv), as under `make`.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

import ops_seed  # noqa: E402 - after the path set-up above
from support import Emulator, run_playbook, start_emulator  # noqa: E402

from emulator import launcher, recording  # noqa: E402

KEEP = 7
OTHER_INSTANCES = 4
FOREIGN = 20

PLAYBOOKS = {
    "module": """
- name: Rotation by dailyge.infra.rds_snapshot
  hosts: localhost
  gather_facts: false
  environment: "{{ aws_environment }}"
  tasks:
    - name: Rotate the daily snapshots
      dailyge.infra.rds_snapshot:
        db_instance_identifier: "{{ db }}"
        create: false
        keep: "{{ keep }}"
""",
    "naive": """
- name: Rotation the naive way (amazon.aws.rds_snapshot_info + a loop of rds_instance_snapshot)
  hosts: localhost
  gather_facts: false
  environment: "{{ aws_environment }}"
  tasks:
    - name: List the manual snapshots of the instance
      amazon.aws.rds_snapshot_info:
        db_instance_identifier: "{{ db }}"
        snapshot_type: manual
      register: listed

    - name: Keep the tool's own available dailies, newest first
      ansible.builtin.set_fact:
        own: >-
          {{ listed.snapshots
             | selectattr('status', 'equalto', 'available')
             | selectattr('db_snapshot_identifier', 'match', db ~ '-daily-[0-9]{8}$')
             | selectattr('tag_list', 'contains', {'key': 'dailyge:created-by', 'value': 'dailyge.infra.rds_snapshot'})
             | sort(attribute='db_snapshot_identifier', reverse=true)
             | list }}

    - name: Delete the older ones, one module run each
      amazon.aws.rds_instance_snapshot:
        db_snapshot_identifier: "{{ item.db_snapshot_identifier }}"
        state: absent
      loop: "{{ own[keep | int:] }}"
      loop_control:
        label: "{{ item.db_snapshot_identifier }}"
""",
}


def seed(emulator: Emulator, own: int) -> None:
    """The instance with `own` dailies, other instances (their automated snapshots), foreign manual ones."""
    ops_seed.seed_database(emulator)
    rds = emulator.client("rds")
    for index in range(OTHER_INSTANCES):
        rds.create_db_instance(
            DBInstanceIdentifier=f"other-{index}", DBInstanceClass="db.t3.micro", Engine="mysql",
            AllocatedStorage=20, MasterUsername="dailyge", MasterUserPassword="emulator-placeholder-1",
            BackupRetentionPeriod=7,
        )  # fmt: skip
    today = ops_seed.seoul_today()
    ops_seed.seed_dailies(emulator, [today - timedelta(days=offset) for offset in range(own, 0, -1)])
    for index in range(FOREIGN):
        instance = ops_seed.DB if index % 2 else f"other-{index % OTHER_INSTANCES}"
        rds.create_db_snapshot(DBSnapshotIdentifier=f"foreign-manual-{index}", DBInstanceIdentifier=instance)


def census(emulator: Emulator) -> dict[str, Any]:
    snapshots = emulator.client("rds").describe_db_snapshots()["DBSnapshots"]
    return {
        "automated": sum(item["SnapshotType"] == "automated" for item in snapshots),
        "manual": sum(item["SnapshotType"] == "manual" for item in snapshots),
        "names": sorted(item["DBSnapshotIdentifier"] for item in snapshots),
    }


def measure(way: str, own: int, workdir: Path) -> dict[str, Any]:
    state = workdir / way
    running = start_emulator(state, {"MOTO_ENABLE_RECORDING": "true", "MOTO_RDS_SNAPSHOT_LIMIT": str(own * 2 + 1000)})
    try:
        seed(running, own)
        before = census(running)
        playbook = workdir / f"{way}.yml"
        playbook.write_text(PLAYBOOKS[way].lstrip())
        recording.reset(running.endpoint)
        started = time.monotonic()
        run = run_playbook(
            str(playbook),
            "-i",
            "inventories/local",
            "-e",
            f"db={ops_seed.DB} keep={KEEP}",
            env=running.env,
            timeout=7200,
        )
        seconds = time.monotonic() - started
        if run.returncode != 0:
            raise SystemExit(f"{way} failed: {run.failure_messages()[:3] or run.stderr[-2000:]}")
        calls = recording.summarise(recording.calls(running.endpoint))
        after = census(running)
    finally:
        launcher.stop(running.settings)
    return {
        "way": way,
        "own_dailies": own,
        "automated_snapshots": before["automated"],
        "manual_snapshots_before": before["manual"],
        "manual_snapshots_after": after["manual"],
        "seconds": round(seconds, 1),
        "left": after["names"],
    } | calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--own", type=int, default=1000, help="the tool's own daily snapshots to seed")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / ".state" / "bench" / "rds_snapshot.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dailyge-bench-rds-") as workdir:
        results = [measure(way, args.own, Path(workdir)) for way in ("module", "naive")]
    if results[0]["left"] != results[1]["left"]:
        only_module = sorted(set(results[0]["left"]) - set(results[1]["left"]))
        only_naive = sorted(set(results[1]["left"]) - set(results[0]["left"]))
        raise SystemExit(
            f"the two ways left different snapshots (module only {only_module[:5]}, naive only {only_naive[:5]})"
        )

    first = results[0]
    print(
        f"{args.own} own dailies, keep {KEEP}; automated {first['automated_snapshots']}, "
        f"manual before {first['manual_snapshots_before']}, after {first['manual_snapshots_after']}"
    )
    print(f"{'way':<8} {'seconds':>8} {'API calls':>10} {'reads':>7} {'writes':>7}  calls by action")
    for row in results:
        actions = ", ".join(f"{name}={count}" for name, count in row["write_calls"].items())
        print(f"{row['way']:<8} {row['seconds']:>8} {row['total']:>10} {row['reads']:>7} {row['writes']:>7}  {actions}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps([{k: v for k, v in row.items() if k != "left"} for row in results], indent=2) + "\n"
    )
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
