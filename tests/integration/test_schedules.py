"""playbooks/schedules.yml: the cron entries of the ops host, and what happens when cron fires them.

The role installs into a temporary root (DAILYGE_OPS_ROOT) so tests never rewrite this machine's
/etc/cron.d (`make local` installs there for real). Cron itself is not waited for: a test "fires"
an entry by running its command line with the file's environment, exactly as cron would.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import ops_seed
import pytest
from support import Emulator, PlaybookRun, run_playbook, start_emulator

from emulator import launcher

pytestmark = pytest.mark.integration

JOB_FILES = {
    "backup": "dailyge-backup",
    "log_archive": "dailyge-log-archive",
    "drift_check": "dailyge-drift-check",
    "restore_drill": "dailyge-restore-drill",
    "cost_report": "dailyge-cost-report",
}
HEARTBEAT_FILE = "dailyge-heartbeat"
ENTRY = re.compile(r"^(\S+ \S+ \S+ \S+ \S+) root (.+)$", re.M)


@dataclass
class Installed:
    emulator: Emulator
    root: Path
    first: PlaybookRun
    stack_arg: str

    def cron_file(self, job: str) -> str:
        return (self.root / "etc/cron.d" / JOB_FILES[job]).read_text()

    def metrics(self, job: str) -> dict[str, float]:
        path = self.root / "var/lib/prometheus/node-exporter" / f"dailyge_job_{job}.prom"
        values = {}
        for line in path.read_text().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name.split("{")[0]] = float(value)
        return values

    def log(self, job: str) -> str:
        path = self.root / "var/log/dailyge" / f"{job}.log"
        return path.read_text() if path.exists() else ""

    def fire(self, job: str, env: dict[str, str] | None = None) -> int:
        """Run the job's cron entry as cron would: /bin/sh -c <command> with the file's environment."""
        text = self.cron_file(job)
        cron_env = dict(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.M))
        command = ENTRY.search(text).group(2)
        # The stack normally comes from the Terraform outputs; here from the seeded resources.
        command = command.replace(" >>", f" -e {self.stack_arg} >>", 1)
        cron_env.update(HOME=os.environ.get("HOME", "/root"), LOGNAME="root", **(env or {}))
        return subprocess.run(["/bin/sh", "-c", command], env=cron_env, cwd="/", timeout=600, check=False).returncode


def install(emulator: Emulator, root: Path, *args: str) -> PlaybookRun:
    return run_playbook(
        "playbooks/schedules.yml", "-i", "inventories/local", *args, env=emulator.env | {"DAILYGE_OPS_ROOT": str(root)}
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    running = start_emulator(tmp_path_factory.mktemp("schedules-state"))
    try:
        stack = ops_seed.seed_database(running) | ops_seed.seed_bucket(running)
        today = ops_seed.seoul_today()
        ops_seed.seed_logs(running, ["/ecs/dailyge-local/api"], [today - timedelta(days=1)])
        stack_arg = ops_seed.stack_file(
            tmp_path_factory.mktemp("stack") / "stack.json", **stack, log_group_names=["/ecs/dailyge-local/api"]
        )
        root = tmp_path_factory.mktemp("ops-root")
        first = install(running, root, "-e", "ops_jobs_cron_tz_support=ignored")
        yield Installed(running, root, first, stack_arg)
    finally:
        launcher.stop(running.settings)


@pytest.fixture(scope="module")
def failing_slack_port() -> Iterator[int]:
    class Outage(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"internal_error")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Outage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_one_valid_cron_file_per_job(installed):
    assert installed.first.returncode == 0, installed.first.failure_messages() or installed.first.stdout[-3000:]
    cron_dir = installed.root / "etc/cron.d"
    assert sorted(path.name for path in cron_dir.iterdir()) == sorted([*JOB_FILES.values(), HEARTBEAT_FILE])
    checker = installed.root / "usr/local/bin/dailyge-check-cron-d"
    for name in [*JOB_FILES.values(), HEARTBEAT_FILE]:
        path = cron_dir / name
        assert oct(path.stat().st_mode & 0o777) == "0o644"
        assert subprocess.run([str(checker), str(path)], check=False).returncode == 0, path.read_text()


def test_entries_run_at_the_seoul_times_under_flock_with_a_log_and_metrics(installed):
    # This machine's Debian cron ignores CRON_TZ: the Seoul times are written in UTC (+0000).
    expected = {
        "backup": "0 18 * * *",
        "log_archive": "30 15 * * *",
        "drift_check": "0 0 * * *",
        "restore_drill": "0 20 * * 6",
        "cost_report": "30 0 * * *",
    }
    for job, schedule in expected.items():
        text = installed.cron_file(job)
        assert "\nCRON_TZ=Asia/Seoul\n" in text
        when, command = ENTRY.search(text).groups()
        assert when == schedule, (job, when)
        lock = installed.root / "run/lock" / f"dailyge-{job.replace('_', '-')}.lock"
        assert command.startswith(f"flock --nonblock --conflict-exit-code 75 {lock} ")
        assert f"--job {job} --textfile-dir {installed.root}/var/lib/prometheus/node-exporter" in command
        assert f"playbooks/ops/{job}.yml -i " in command
        assert f">>{installed.root}/var/log/dailyge/{job}.log 2>&1; [ $? -ne 75 ] || echo " in command


def test_a_cron_that_honours_cron_tz_gets_the_seoul_times_as_written(installed, tmp_path):
    run = install(installed.emulator, tmp_path, "-e", "ops_jobs_cron_tz_support=honoured")
    assert run.returncode == 0, run.failure_messages()
    backup = (tmp_path / "etc/cron.d/dailyge-backup").read_text()
    assert ENTRY.search(backup).group(1) == "0 3 * * *"
    assert ENTRY.search((tmp_path / "etc/cron.d/dailyge-log-archive").read_text()).group(1) == "30 0 * * *"
    assert ENTRY.search((tmp_path / "etc/cron.d/dailyge-drift-check").read_text()).group(1) == "0 9 * * *"
    assert "ignores CRON_TZ" not in backup


def test_second_install_and_check_mode_change_nothing(installed):
    again = install(installed.emulator, installed.root, "-e", "ops_jobs_cron_tz_support=ignored")
    assert again.returncode == 0 and again.changed == 0, again.changed_tasks()
    checked = install(installed.emulator, installed.root, "--check", "-e", "ops_jobs_cron_tz_support=ignored")
    assert checked.returncode == 0 and checked.changed == 0, checked.changed_tasks()


def test_a_disabled_job_loses_its_cron_file(installed, tmp_path):
    schedules = (
        '{"ops_jobs_schedules": {"backup": {"hour": 3, "minute": 0, "playbook": "backup.yml", "enabled": false}}}'
    )
    (tmp_path / "etc/cron.d").mkdir(parents=True)
    (tmp_path / "etc/cron.d/dailyge-backup").write_text("# stale\n")
    run = install(installed.emulator, tmp_path, "-e", "ops_jobs_cron_tz_support=ignored", "-e", schedules)
    assert run.returncode == 0, run.failure_messages()
    assert [path.name for path in (tmp_path / "etc/cron.d").iterdir()] == [HEARTBEAT_FILE]


def test_the_heartbeat_runs_every_minute_under_flock_against_this_hosts_alertmanager(installed):
    text = (installed.root / "etc/cron.d" / HEARTBEAT_FILE).read_text()
    when, command = ENTRY.search(text).groups()
    assert when == "* * * * *"
    assert command.startswith(f"flock --nonblock {installed.root}/run/lock/dailyge-heartbeat.lock ")
    assert f"{installed.root}/usr/local/bin/dailyge-heartbeat --environment local" in command
    assert "--alertmanager-url http://127.0.0.1:9093 --namespace Dailyge/Watchdog" in command
    assert command.endswith(f">>{installed.root}/var/log/dailyge/heartbeat.log 2>&1")
    assert f"\nAWS_ENDPOINT_URL={installed.emulator.endpoint}\n" in text  # local: CloudWatch is the emulator


def test_a_disabled_heartbeat_loses_its_cron_file(installed, tmp_path):
    first = install(installed.emulator, tmp_path, "-e", "ops_jobs_cron_tz_support=ignored")
    assert first.returncode == 0 and (tmp_path / "etc/cron.d" / HEARTBEAT_FILE).exists()
    run = install(
        installed.emulator,
        tmp_path,
        "-e",
        "ops_jobs_cron_tz_support=ignored",
        "-e",
        '{"ops_jobs_heartbeat_enabled": false}',
    )
    assert run.returncode == 0, run.failure_messages()
    assert not (tmp_path / "etc/cron.d" / HEARTBEAT_FILE).exists()
    assert sorted(path.name for path in (tmp_path / "etc/cron.d").iterdir()) == sorted(JOB_FILES.values())


def test_a_bad_schedule_fails_the_preflight_and_installs_nothing(installed, tmp_path):
    schedules = (
        '{"ops_jobs_schedules": {"backup": {"hour": 27, "minute": 0, "playbook": "backup.yml", "enabled": true}}}'
    )
    run = install(installed.emulator, tmp_path, "-e", schedules)
    assert run.returncode != 0
    assert any("ops_jobs_schedules.backup must be a known job" in message for message in run.failure_messages())
    assert not (tmp_path / "etc").exists()


def test_fired_backup_logs_and_records_success(installed):
    installed.fire("backup")
    log = installed.log("backup")
    assert "dailyge-job backup: start:" in log and "dailyge-job backup: success (exit code 0)" in log
    values = installed.metrics("backup")
    assert values["dailyge_job_last_run_success"] == 1
    assert values["dailyge_job_last_success_timestamp_seconds"] == values["dailyge_job_last_run_timestamp_seconds"]
    assert installed.emulator.slack_messages()[-1]["payload"]["text"].startswith(
        ":white_check_mark: Dailyge local backup"
    )


def test_slack_returning_500_keeps_the_success_and_says_so_in_the_log(installed, failing_slack_port):
    installed.fire("log_archive", {"DAILYGE_SLACK_PORT": str(failing_slack_port)})
    log = installed.log("log_archive")
    assert "Slack report NOT delivered (HTTP 500" in log
    assert "dailyge-job log_archive: success (exit code 0)" in log
    assert installed.metrics("log_archive")["dailyge_job_last_run_success"] == 1


def test_a_failed_run_records_failure_and_keeps_the_last_success(installed):
    before = installed.metrics("backup")
    installed.fire("backup", {"DAILYGE_EMULATOR_PORT": "1"})  # AWS unreachable
    after = installed.metrics("backup")
    assert after["dailyge_job_last_run_success"] == 0
    assert after["dailyge_job_last_success_timestamp_seconds"] == before["dailyge_job_last_success_timestamp_seconds"]
    assert after["dailyge_job_last_run_timestamp_seconds"] > before["dailyge_job_last_run_timestamp_seconds"]
    assert "dailyge-job backup: FAILURE" in installed.log("backup")


def test_a_start_while_the_previous_run_holds_the_lock_is_skipped(installed):
    lock = installed.root / "run/lock/dailyge-backup.lock"
    before = installed.metrics("backup")
    with subprocess.Popen(["flock", str(lock), "sleep", "30"]) as holder:
        try:
            for _ in range(50):  # wait until the holder has the lock
                if subprocess.run(["flock", "--nonblock", str(lock), "true"], check=False).returncode != 0:
                    break
                threading.Event().wait(0.1)
            installed.fire("backup")
        finally:
            holder.terminate()
    assert (
        installed.log("backup")
        .rstrip()
        .endswith("dailyge-job backup: not started, the previous run still holds the lock (exit code 75)")
    )
    assert installed.metrics("backup") == before, "a skipped start writes no metric"
