#!/usr/bin/env python3
"""Benchmark the log archive job: G log groups x D whole Asia/Seoul days (default 50 x 3).

Seeds a fresh emulator (its own free ports, request recording on) with G log groups, each holding
two streams with events on each of the D days before today plus one stream still being written
today, and the archive bucket; then runs playbooks/ops/log_archive.yml three times:

* --check (plans only: must write nothing),
* the archive run (exports G x D days one task at a time, verifies, marks, deletes 2 x G streams),
* a re-run (must write nothing).

Reports wall time and AWS API calls (reads, writes, writes by action) of each run.

    .venv/bin/python scripts/bench_log_archive.py [--groups 50] [--days 3] [--output .state/bench/log_archive.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]
# ansible-playbook is the one beside this interpreter (the project's virtualenv), as under `make`.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

import ops_seed  # noqa: E402 - after the path set-up above
from support import run_playbook, start_emulator  # noqa: E402

from emulator import launcher, recording  # noqa: E402


def measure(name: str, endpoint: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    recording.reset(endpoint)
    started = time.monotonic()
    run = run_playbook("playbooks/ops/log_archive.yml", "-i", "inventories/local", *args, env=env, timeout=7200)
    seconds = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"{name} failed: {run.failure_messages()[:3] or run.stderr[-2000:]}")
    calls = recording.calls(endpoint)
    return (
        {"run": name, "seconds": round(seconds, 1), "ansible_changed": run.changed}
        | recording.summarise(calls)
        | {"calls_by_action": by_action(calls)}
    )


def by_action(calls: list[recording.Call]) -> dict[str, int]:
    """Calls per service:action; S3's REST calls as `GET bucket` (a listing) or `PUT object` etc."""
    return dict(Counter(f"{call.service}:{action_name(call.action)}" for call in calls).most_common())


def action_name(action: str) -> str:
    if " /" not in action:
        return action
    method, path = action.split(" ", 1)
    return f"{method} {'bucket' if path.rstrip('/').count('/') == 1 else 'object'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--days", type=int, default=3, help="whole days before today (at most 13: moto keeps 14)")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / ".state" / "bench" / "log_archive.json")
    args = parser.parse_args()
    if not 1 <= args.days <= 13:
        raise SystemExit("--days must be 1 to 13 (the emulator accepts events of the last 14 days)")

    today = ops_seed.seoul_today()
    days = [today - timedelta(days=offset) for offset in range(args.days, 0, -1)]
    groups = [f"/dailyge-local/bench/app-{index:02d}" for index in range(args.groups)]
    with tempfile.TemporaryDirectory(prefix="dailyge-bench-logs-") as workdir:
        running = start_emulator(Path(workdir) / "state", {"MOTO_ENABLE_RECORDING": "true"})
        try:
            stack = ops_seed.seed_bucket(running) | {"log_group_names": groups}
            ops_seed.seed_logs(running, groups, days)
            stack_arg = ops_seed.stack_file(Path(workdir) / "stack.json", **stack)
            results = [
                measure("--check", running.endpoint, running.env, "--check", "-e", stack_arg),
                measure("archive", running.endpoint, running.env, "-e", stack_arg),
                measure("re-run", running.endpoint, running.env, "-e", stack_arg),
            ]
        finally:
            launcher.stop(running.settings)

    print(f"{args.groups} log groups x {args.days} days ({args.groups * args.days} group-days), 3 streams per group")
    print(f"{'run':<8} {'seconds':>8} {'API calls':>10} {'reads':>7} {'writes':>7}  calls by action")
    for row in results:
        actions = ", ".join(f"{name}={count}" for name, count in row["calls_by_action"].items())
        print(f"{row['run']:<8} {row['seconds']:>8} {row['total']:>10} {row['reads']:>7} {row['writes']:>7}  {actions}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"groups": args.groups, "days": args.days, "runs": results}, indent=2) + "\n")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
