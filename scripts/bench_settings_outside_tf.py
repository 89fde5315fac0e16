#!/usr/bin/env python3
"""Benchmark the settings kept outside Terraform: API calls of the two modules, wall time of the plays.

Starts its own emulator (free loopback ports, a temporary state folder, request recording on),
converges the local environment once, then measures:

* dailyge.infra.ecs_service_autoscaling and dailyge.infra.rds_import_sync alone (`ansible -m`):
  the AWS calls of a no-op run (reads only) and of a changing run;
* playbooks/autoscaling.yml and playbooks/rds_sync.yml: wall time of no-op runs (median of
  --repeat runs) and every AWS call they make, and one changing run of each.

    .venv/bin/python scripts/bench_settings_outside_tf.py [--repeat 5] [--output .state/bench/settings_outside_tf.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]

from support import Emulator, ansible_env, run_playbook, start_emulator, terraform  # noqa: E402 - after sys.path

from emulator import launcher, recording  # noqa: E402

DIMENSION = "ecs:service:DesiredCount"


def calls_since_reset(endpoint: str) -> dict[str, Any]:
    recorded = recording.calls(endpoint)
    summary = recording.summarise(recorded)
    summary["calls"] = dict(Counter(f"{call.service}:{call.action}" for call in recorded).most_common())
    del summary["by_service"]
    return summary


def timed_play(running: Emulator, playbook: str, *args: str) -> dict[str, Any]:
    recording.reset(running.endpoint)
    started = time.monotonic()
    run = run_playbook(playbook, "-i", "inventories/local", *args, env=running.env)
    seconds = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"{playbook} failed: {run.failure_messages() or run.stderr[-2000:]}")
    return {"seconds": round(seconds, 2), "ansible_changed": run.changed} | calls_since_reset(running.endpoint)


def module_run(running: Emulator, module: str, args: dict[str, Any]) -> dict[str, Any]:
    """One module alone through `ansible localhost -m`, with its AWS calls."""
    env = ansible_env(running.env) | {
        "AWS_ENDPOINT_URL": running.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "ap-northeast-2",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal",
    }
    recording.reset(running.endpoint)
    command = ["ansible", "localhost", "-i", "inventories/local", "-m", module, "-a", json.dumps(args)]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{module} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return {"changed": "CHANGED" in done.stdout.split("=>", 1)[0]} | calls_since_reset(running.endpoint)


def stack_of(running: Emulator) -> dict[str, Any]:
    outputs = terraform(running, "output", "-json")
    if outputs.returncode != 0:
        raise SystemExit(f"terraform output failed: {outputs.stderr}")
    return {name: output["value"] for name, output in json.loads(outputs.stdout).items()}


def remove_autoscaling(running: Emulator, stack: dict[str, Any], policy: str) -> None:
    client = running.client("application-autoscaling")
    keys = {
        "ServiceNamespace": "ecs",
        "ResourceId": f"service/{stack['ecs_cluster_name']}/{stack['ecs_service_name']}",
        "ScalableDimension": DIMENSION,
    }
    client.delete_scaling_policy(PolicyName=policy, **keys)
    client.deregister_scalable_target(**keys)


def tune_rds(running: Emulator, stack: dict[str, Any], instance_class: str) -> None:
    running.client("rds").modify_db_instance(
        DBInstanceIdentifier=stack["rds_instance_identifier"], DBInstanceClass=instance_class, ApplyImmediately=True
    )


def noop_runs(running: Emulator, playbook: str, repeat: int) -> dict[str, Any]:
    runs = [timed_play(running, playbook) for _ in range(repeat)]
    seconds = [run["seconds"] for run in runs]
    return runs[-1] | {
        "seconds_median": statistics.median(seconds),
        "seconds_min": min(seconds),
        "seconds_max": max(seconds),
        "runs": repeat,
        "all_unchanged": all(run["ansible_changed"] == 0 for run in runs),
        "all_write_free": all(run["writes"] == 0 for run in runs),
    }


def measure(running: Emulator, repeat: int, state_dir: Path) -> dict[str, Any]:
    started = time.monotonic()
    converge = run_playbook("site.yml", "-i", "inventories/local", env=running.env)
    if converge.returncode != 0:
        raise SystemExit(f"converge failed: {converge.failure_messages() or converge.stderr[-2000:]}")
    results: dict[str, Any] = {"converge_seconds": round(time.monotonic() - started, 1)}
    stack = stack_of(running)
    policy = f"{stack['ecs_service_name']}-cpu-target-tracking"
    autoscaling_args = {
        "cluster": stack["ecs_cluster_name"],
        "service": stack["ecs_service_name"],
        "min_capacity": stack["ecs_service_min_capacity"],
        "max_capacity": stack["ecs_service_max_capacity"],
    }
    tfvars = state_dir / "bench-module" / "rds_sync.auto.tfvars.json"
    tfvars.parent.mkdir(parents=True, exist_ok=True)
    rds_args = {"db_instance_identifier": stack["rds_instance_identifier"], "tfvars_path": str(tfvars)}

    results["module ecs_service_autoscaling no-op"] = module_run(
        running, "dailyge.infra.ecs_service_autoscaling", autoscaling_args
    )
    remove_autoscaling(running, stack, policy)
    results["module ecs_service_autoscaling changing"] = module_run(
        running, "dailyge.infra.ecs_service_autoscaling", autoscaling_args
    )
    results["module rds_import_sync changing"] = module_run(running, "dailyge.infra.rds_import_sync", rds_args)
    results["module rds_import_sync no-op"] = module_run(running, "dailyge.infra.rds_import_sync", rds_args)

    results["play autoscaling.yml no-op"] = noop_runs(running, "playbooks/autoscaling.yml", repeat)
    results["play rds_sync.yml no-op"] = noop_runs(running, "playbooks/rds_sync.yml", repeat)
    remove_autoscaling(running, stack, policy)
    results["play autoscaling.yml changing"] = timed_play(running, "playbooks/autoscaling.yml")
    tune_rds(running, stack, "db.t4g.small")
    results["play rds_sync.yml changing"] = timed_play(running, "playbooks/rds_sync.yml")
    return results


def print_table(results: dict[str, Any]) -> None:
    print(f"converge (untimed setup): {results['converge_seconds']} s")
    print(f"{'run':<42} {'seconds':>8} {'changed':>8} {'calls':>6} {'reads':>6} {'writes':>7}  calls by action")
    for name, row in results.items():
        if not isinstance(row, dict):
            continue
        seconds = row.get("seconds_median", row.get("seconds", "-"))
        changed = row.get("ansible_changed", row.get("changed"))
        print(
            f"{name:<42} {seconds!s:>8} {changed!s:>8} {row['total']:>6} {row['reads']:>6} {row['writes']:>7}  "
            f"{', '.join(f'{action} x{count}' for action, count in row['calls'].items())}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="no-op runs per play (the median is reported)")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / ".state" / "bench" / "settings_outside_tf.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dailyge-bench-outside-tf-") as state:
        running = start_emulator(Path(state), {"MOTO_ENABLE_RECORDING": "true"})
        try:
            results = measure(running, args.repeat, Path(state))
        finally:
            launcher.stop(running.settings)

    print_table(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
