#!/usr/bin/env python3
"""Benchmark releases in local: a changing release and a no-op release (the tag already running).

Starts its own emulator (free loopback ports, a temporary state folder, request recording on),
converges the local stack once, makes today's backup (the acceptance checks need it), then measures
each release's wall time and AWS calls (reads/writes, the run lock's own requests included and also
shown apart). Prints a table and the ratios, and writes the numbers as JSON.

    .venv/bin/python scripts/bench_release.py [--output .state/bench/release.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]

from support import run_playbook, start_emulator, terraform, without_run_lock  # noqa: E402 - after the path set-up

from emulator import images, launcher, recording  # noqa: E402


def measure(name: str, endpoint: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    recording.reset(endpoint)
    started = time.monotonic()
    run = run_playbook("playbooks/release.yml", "-i", "inventories/local", *args, env=env)
    seconds = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"{name} failed: {run.failure_messages() or run.stderr[-2000:]}")
    calls = recording.calls(endpoint)
    outside_lock = without_run_lock(calls)
    return (
        {"run": name, "seconds": round(seconds, 1), "ansible_changed": run.changed}
        | recording.summarise(calls)
        | {"writes_outside_lock": outside_lock["writes"]}
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO_ROOT / ".state" / "bench" / "release.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dailyge-bench-release-") as state:
        running = start_emulator(Path(state), {"MOTO_ENABLE_RECORDING": "true"})
        try:
            for playbook in ("site.yml", "playbooks/ops/backup.yml"):
                done = run_playbook(playbook, "-i", "inventories/local", env=running.env)
                if done.returncode != 0:
                    raise SystemExit(f"{playbook} failed: {done.failure_messages()}")
            repository = json.loads(terraform(running, "output", "-json").stdout)["ecr_repository_name"]["value"]
            images.push_image(images.ecr_client(running.endpoint), repository, "bench-1")
            results = [
                measure("changing release", running.endpoint, running.env, "-e", "image_tag=bench-1"),
                measure("no-op release", running.endpoint, running.env, "-e", "image_tag=bench-1"),
            ]
        finally:
            launcher.stop(running.settings)

    print(f"{'run':<17} {'seconds':>8} {'changed':>8} {'API calls':>10} {'reads':>6} {'writes':>7} {'w/o lock':>9}")
    for row in results:
        print(
            f"{row['run']:<17} {row['seconds']:>8} {row['ansible_changed']:>8} {row['total']:>10} "
            f"{row['reads']:>6} {row['writes']:>7} {row['writes_outside_lock']:>9}"
        )
    changing, noop = results
    print(f"no-op / changing wall time: {noop['seconds'] / changing['seconds']:.2f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
