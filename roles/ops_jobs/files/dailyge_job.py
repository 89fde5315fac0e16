#!/usr/bin/env python3
"""Run one scheduled Dailyge job and record its outcome as Prometheus textfile metrics.

    dailyge-job --job backup --textfile-dir /var/lib/prometheus/node-exporter -- ansible-playbook ...

Installed by roles/ops_jobs as /usr/local/bin/dailyge-job and started by cron under flock(1), with
stdout and stderr appended to the job's log file. It writes a start and an end line (UTC time, job,
exit code, duration) around the command's own output, then replaces
`<textfile-dir>/dailyge_job_<job>.prom` atomically (temporary file + rename in the same folder, so
node-exporter never reads half a file) with the three agreed metrics:

    dailyge_job_last_run_timestamp_seconds{task="<job>"}     when the last run ended
    dailyge_job_last_run_success{task="<job>"}               1 when it exited 0, else 0
    dailyge_job_last_success_timestamp_seconds{task="<job>"} when a run last succeeded (0: never)

A failed run keeps the previous success time. The exit code is the command's. Python 3 standard
library only, Python 3.9+ (Amazon Linux 2023 ops hosts): it runs on any ops host.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

JOB_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
METRICS = (
    ("dailyge_job_last_run_timestamp_seconds", "Unix time at which the scheduled job last finished."),
    ("dailyge_job_last_run_success", "1 when the last run of the scheduled job succeeded, 0 when it failed."),
    (
        "dailyge_job_last_success_timestamp_seconds",
        "Unix time of the last successful run of the scheduled job (0: never).",
    ),
)


def metrics_path(textfile_dir: Path, job: str) -> Path:
    return textfile_dir / f"dailyge_job_{job}.prom"


def previous_success(path: Path, job: str) -> float:
    """The last success time recorded in an earlier metrics file (0 when none)."""
    pattern = re.compile(rf'^dailyge_job_last_success_timestamp_seconds\{{task="{re.escape(job)}"\}} (\S+)$', re.M)
    try:
        match = pattern.search(path.read_text(encoding="utf-8"))
    except OSError:
        return 0.0
    try:
        return float(match.group(1)) if match else 0.0
    except ValueError:
        return 0.0


def render(job: str, finished: float, success: bool, last_success: float) -> str:
    values = (finished, 1 if success else 0, last_success)
    lines = []
    for (name, help_text), value in zip(METRICS, values):  # noqa: B905 - Python 3.9 has no strict=
        number = f"{value:.3f}" if isinstance(value, float) else str(value)
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f'{name}{{task="{job}"}} {number}']
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, content: str) -> None:
    """Write to a temporary file in the same folder, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).chmod(0o644)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record(textfile_dir: Path, job: str, success: bool, finished: float) -> Path:
    path = metrics_path(textfile_dir, job)
    last_success = finished if success else previous_success(path, job)
    write_atomically(path, render(job, finished, success, last_success))
    return path


def log(message: str) -> None:
    now = datetime.now(timezone.utc)  # noqa: UP017 - runs on Python 3.9 ops hosts
    print(f"{now.isoformat(timespec='seconds')} dailyge-job {message}", flush=True)


def run(job: str, command: list[str], textfile_dir: Path, chdir: Path | None) -> int:
    log(f"{job}: start: {' '.join(command)}")
    started = time.monotonic()
    try:
        returncode = subprocess.run(command, cwd=chdir, check=False).returncode
    except OSError as exc:
        log(f"{job}: could not start the command: {exc}")
        returncode = 127
    success = returncode == 0
    duration = time.monotonic() - started
    path = record(textfile_dir, job, success, time.time())
    outcome = "success" if success else "FAILURE"
    log(f"{job}: {outcome} (exit code {returncode}) in {duration:.1f} s; metrics in {path}")
    return returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", required=True, help="job label of the metrics (backup, log_archive, ...)")
    parser.add_argument("--textfile-dir", type=Path, required=True, help="node-exporter's textfile folder")
    parser.add_argument("--chdir", type=Path, help="working folder of the command")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not JOB_NAME.match(args.job):
        parser.error(f"--job '{args.job}' must be lower case letters, digits and _ (a metric label)")
    if not command:
        parser.error("no command given after --")
    return run(args.job, command, args.textfile_dir, args.chdir)


if __name__ == "__main__":
    sys.exit(main())
