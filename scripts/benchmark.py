#!/usr/bin/env python3
"""Benchmark the local environment: cold converge, no-op re-run, --check run, and AWS API calls.

Starts its own emulator (free loopback ports, a temporary state folder, request recording on),
so it never touches the `make local` environment. Prints a table and writes the numbers as JSON.

    .venv/bin/python scripts/benchmark.py [--output .state/bench/local.json]
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

from support import run_playbook, start_emulator  # noqa: E402 - after the path set-up above

from emulator import launcher, recording  # noqa: E402


def measure(name: str, endpoint: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    recording.reset(endpoint)
    started = time.monotonic()
    run = run_playbook("site.yml", "-i", "inventories/local", *args, env=env)
    seconds = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"{name} failed: {run.failure_messages() or run.stderr[-2000:]}")
    return {"run": name, "seconds": round(seconds, 1), "ansible_changed": run.changed} | recording.summarise(
        recording.calls(endpoint)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO_ROOT / ".state" / "bench" / "local.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dailyge-bench-") as state:
        running = start_emulator(Path(state), {"MOTO_ENABLE_RECORDING": "true"})
        try:
            results = [
                measure("cold converge", running.endpoint, running.env),
                measure("no-op re-run", running.endpoint, running.env),
                measure("--check run", running.endpoint, running.env, "--check"),
            ]
        finally:
            launcher.stop(running.settings)

    print(f"{'run':<15} {'seconds':>8} {'changed':>8} {'API calls':>10} {'reads':>6} {'writes':>7}")
    for row in results:
        print(
            f"{row['run']:<15} {row['seconds']:>8} {row['ansible_changed']:>8} "
            f"{row['total']:>10} {row['reads']:>6} {row['writes']:>7}"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
