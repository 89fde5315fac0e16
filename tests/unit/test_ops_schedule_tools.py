"""The pieces of the cron installation: the schedule filter, the cron.d checker and the job runner.

The runner is what cron starts (under flock); its metrics are what the monitoring alerts read, with
the names agreed with the monitoring engineer.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.dailyge.infra.plugins.filter.cron_schedule import cron_schedule

ROLE_FILES = Path(__file__).resolve().parents[2] / "roles" / "ops_jobs" / "files"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROLE_FILES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = load("dailyge_job")
checker = load("check_cron_d")


# --- schedule filter -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "offset", "expected"),
    [
        ({"hour": 3, "minute": 0}, None, "0 3 * * *"),  # cron honours CRON_TZ: written as is
        ({"hour": 3, "minute": 0}, "+0000", "0 18 * * *"),  # 03:00 KST is 18:00 UTC the day before
        ({"hour": 0, "minute": 30}, "+0000", "30 15 * * *"),
        ({"hour": 9, "minute": 0}, "+0000", "0 0 * * *"),
        ({"hour": 9, "minute": 0}, "+09:00", "0 9 * * *"),
        ({"hour": 5, "minute": 0, "weekday": 0}, "+0000", "0 20 * * 6"),  # Sunday 05:00 KST is Saturday 20:00 UTC
        ({"hour": 23, "minute": 0, "weekday": 6}, "+1400", "0 4 * * 0"),  # crosses midnight forwards
        ({"hour": 5, "minute": 0, "weekday": 0}, None, "0 5 * * 0"),
    ],
)
def test_cron_schedule(spec, offset, expected):
    assert cron_schedule(spec, "Asia/Seoul", offset) == expected


@pytest.mark.parametrize(
    ("spec", "timezone", "offset", "message"),
    [
        ({"hour": 24, "minute": 0}, "Asia/Seoul", None, "hour must be 0-23"),
        ({"minute": 0}, "Asia/Seoul", None, "needs integer hour and minute"),
        ({"hour": 3, "minute": 0}, "Mars/Olympus", "+0000", "unknown time zone"),
        ({"hour": 3, "minute": 0}, "Asia/Seoul", "nine", "is not a UTC offset"),
    ],
)
def test_cron_schedule_refuses_bad_input(spec, timezone, offset, message):
    with pytest.raises(AnsibleFilterError, match=message):
        cron_schedule(spec, timezone, offset)


# --- cron.d checker ----------------------------------------------------------------------------------

VALID = """# comment
SHELL=/bin/sh
CRON_TZ=Asia/Seoul
0 18 * * * root flock -n /run/lock/x.lock /usr/local/bin/dailyge-job --job backup -- true >>/var/log/x.log 2>&1
*/15 1-5 1,15 * 0-6 root echo "escaped \\% is fine"
"""


def test_a_valid_cron_file_passes():
    assert checker.problems(VALID) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("61 3 * * * root true", "invalid minute field '61'"),
        ("0 24 * * * root true", "invalid hour field '24'"),
        ("0 3 * * 8 root true", "invalid day of week field '8'"),
        ("0 3 * * * root", "needs 5 time fields, a user and a command"),
        ("0 3 * * * Root true", "is not a user name"),
        ("0 3 * * * root date +%F", "unescaped %"),
        ("5-1 3 * * * root true", "invalid minute field"),
    ],
)
def test_a_broken_entry_is_named(line, message):
    assert any(message in problem for problem in checker.problems(line + "\n"))


def test_a_file_without_final_newline_is_refused(tmp_path):
    path = tmp_path / "dailyge-backup"
    path.write_text("0 3 * * * root true")
    completed = subprocess.run(
        [sys.executable, str(ROLE_FILES / "check_cron_d.py"), str(path)], capture_output=True, text=True
    )
    assert completed.returncode == 1
    assert "must end with a newline" in completed.stderr


# --- job runner ------------------------------------------------------------------------------------


def metrics(path: Path) -> dict[str, float]:
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_a_successful_run_records_the_agreed_metrics(tmp_path, capsys):
    assert (
        runner.main(["--job", "backup", "--textfile-dir", str(tmp_path), "--", sys.executable, "-c", "print('hi')"])
        == 0
    )
    values = metrics(tmp_path / "dailyge_job_backup.prom")
    assert values['dailyge_job_last_run_success{task="backup"}'] == 1
    assert values['dailyge_job_last_success_timestamp_seconds{task="backup"}'] == pytest.approx(
        values['dailyge_job_last_run_timestamp_seconds{task="backup"}']
    )
    text = (tmp_path / "dailyge_job_backup.prom").read_text()
    assert "# TYPE dailyge_job_last_run_success gauge" in text
    log = capsys.readouterr().out
    assert "dailyge-job backup: start:" in log and "backup: success (exit code 0)" in log


def test_a_failed_run_keeps_the_last_success_time_and_the_exit_code(tmp_path, capsys):
    runner.main(["--job", "log_archive", "--textfile-dir", str(tmp_path), "--", "true"])
    first = metrics(tmp_path / "dailyge_job_log_archive.prom")
    code = runner.main(["--job", "log_archive", "--textfile-dir", str(tmp_path), "--", "sh", "-c", "exit 3"])
    assert code == 3
    second = metrics(tmp_path / "dailyge_job_log_archive.prom")
    assert second['dailyge_job_last_run_success{task="log_archive"}'] == 0
    key = 'dailyge_job_last_success_timestamp_seconds{task="log_archive"}'
    assert second[key] == first[key]
    assert second['dailyge_job_last_run_timestamp_seconds{task="log_archive"}'] >= first[key]
    assert "log_archive: FAILURE (exit code 3)" in capsys.readouterr().out


def test_a_job_that_never_succeeded_reports_zero(tmp_path):
    runner.main(["--job", "drift_check", "--textfile-dir", str(tmp_path), "--", "false"])
    assert (
        metrics(tmp_path / "dailyge_job_drift_check.prom")[
            'dailyge_job_last_success_timestamp_seconds{task="drift_check"}'
        ]
        == 0
    )


def test_a_command_that_cannot_start_is_a_failure(tmp_path):
    assert (
        runner.main(["--job", "backup", "--textfile-dir", str(tmp_path), "--", "/nonexistent/ansible-playbook"]) == 127
    )
    assert metrics(tmp_path / "dailyge_job_backup.prom")['dailyge_job_last_run_success{task="backup"}'] == 0


def test_the_metrics_file_is_replaced_atomically(tmp_path, monkeypatch):
    target = tmp_path / "dailyge_job_backup.prom"
    target.write_text("old content\n")
    inode_before = target.stat().st_ino
    runner.record(tmp_path, "backup", True, 1000.0)
    assert target.stat().st_ino != inode_before, "a new file renamed over the old one, never rewritten in place"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [path.name for path in tmp_path.iterdir()] == ["dailyge_job_backup.prom"], "no temporary file left"

    def broken_replace(self, other):
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", broken_replace)
    with pytest.raises(OSError):
        runner.record(tmp_path, "backup", False, 2000.0)
    assert metrics(target)['dailyge_job_last_run_timestamp_seconds{task="backup"}'] == 1000.0
    assert [path.name for path in tmp_path.iterdir()] == ["dailyge_job_backup.prom"]


@pytest.mark.parametrize("job", ["Backup", "log-archive", "", "a b"])
def test_a_job_name_that_is_not_a_label_is_refused(tmp_path, job):
    with pytest.raises(SystemExit):
        runner.main(["--job", job, "--textfile-dir", str(tmp_path), "--", "true"])
    assert list(tmp_path.iterdir()) == []
