"""scripts/ci_report.py: the Slack report of every workflow run, posted to the local Slack receiver."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO_ROOT, free_port

from emulator import slack_receiver

SCRIPT = REPO_ROOT / "scripts" / "ci_report.py"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "slack" / "messages.jsonl"
    server = slack_receiver.make_server("127.0.0.1", free_port(), log)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T/B/ci", log
    server.shutdown()
    server.server_close()


def report(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "GITHUB_REPOSITORY": "dailyge/dailyge-infra", "GITHUB_ACTOR": "octocat"}
    return subprocess.run(
        [sys.executable, str(SCRIPT)], env=base | env, capture_output=True, text=True, timeout=30, check=False
    )


def texts(log: Path) -> list[str]:
    return [json.loads(line)["payload"]["text"] for line in log.read_text().splitlines()] if log.exists() else []


def test_a_deploy_report_names_the_commit_the_duration_and_the_result(receiver: tuple[str, Path]):
    url, log = receiver
    started = str(int(time.time()) - 754)
    done = report(
        {
            "SLACK_WEBHOOK_URL": url,
            "CI_TITLE": "deploy",
            "CI_ENVIRONMENT": "prod",
            "CI_RESULT": "failure",
            "CI_COMMIT": COMMIT,
            "CI_STARTED": started,
            "CI_RUN_URL": "https://github.com/dailyge/dailyge-infra/actions/runs/1",
        }
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [text] = texts(log)
    assert text.startswith(":x: Dailyge deploy on prod FAILED")
    assert f"/commit/{COMMIT}|0123456>" in text
    assert "by octocat, duration 12m 3" in text  # 754 s, give or take the second the script took
    assert "actions/runs/1|run log>" in text


def test_a_pull_request_report_lists_every_job_and_fails_when_one_failed(receiver: tuple[str, Path]):
    url, log = receiver
    jobs = {
        "preflight": {"result": "success", "outputs": {"started": "1"}},
        "lint": {"result": "success", "outputs": {}},
        "pytest": {"result": "failure", "outputs": {}},
        "plan-dev": {"result": "cancelled", "outputs": {}},
    }
    done = report({"SLACK_WEBHOOK_URL": url, "CI_TITLE": "pull request #7", "CI_JOBS": json.dumps(jobs)})
    assert done.returncode == 0
    [text] = texts(log)
    assert text.startswith(":x: Dailyge pull request #7 FAILED")
    assert "• pytest: failure" in text and "• plan-dev: cancelled" in text and "• lint: success" in text


def test_all_jobs_successful_is_a_success(receiver: tuple[str, Path]):
    url, log = receiver
    jobs = {"lint": {"result": "success"}, "pytest": {"result": "success"}}
    report({"SLACK_WEBHOOK_URL": url, "CI_TITLE": "pull request #8", "CI_JOBS": json.dumps(jobs), "CI_COMMIT": COMMIT})
    assert texts(log)[0].startswith(":white_check_mark: Dailyge pull request #8 succeeded")


def test_a_missing_or_garbled_start_time_gives_an_unknown_duration(receiver: tuple[str, Path]):
    url, log = receiver
    report({"SLACK_WEBHOOK_URL": url, "CI_RESULT": "success", "CI_STARTED": "soon"})
    assert "duration unknown" in texts(log)[0]


def test_a_slack_outage_is_a_warning_not_a_failed_run(tmp_path: Path):
    closed_port = free_port()
    done = report({"SLACK_WEBHOOK_URL": f"http://127.0.0.1:{closed_port}/services/x", "CI_RESULT": "success"})
    assert done.returncode == 0
    assert "::warning::the Slack report could not be sent" in done.stdout


def test_a_slack_error_answer_is_a_warning(receiver: tuple[str, Path]):
    url, log = receiver
    done = report({"SLACK_WEBHOOK_URL": url.replace("/services/", "/nowhere/"), "CI_RESULT": "success"})
    assert done.returncode == 0
    assert "HTTP Error 404" in done.stdout
    assert texts(log) == []


def test_without_a_webhook_the_report_is_printed_and_skipped(tmp_path: Path):
    summary = tmp_path / "summary.md"
    done = report({"CI_RESULT": "success", "CI_TITLE": "deploy", "GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 0
    assert "::warning::SLACK_WEBHOOK_URL is empty" in done.stdout
    assert "Dailyge deploy succeeded" in summary.read_text()


def test_a_plain_http_webhook_elsewhere_than_loopback_is_refused():
    done = report({"SLACK_WEBHOOK_URL": "http://hooks.example.invalid/services/x", "CI_RESULT": "success"})
    assert done.returncode == 0
    assert "must be an https:// URL" in done.stdout


def test_nothing_to_report_is_an_error():
    done = report({"SLACK_WEBHOOK_URL": ""})
    assert done.returncode == 2
    assert "::error::ci_report: nothing to report" in done.stdout


def test_the_vault_password_client_prints_the_password_from_the_environment():
    script = REPO_ROOT / "scripts" / "vault_password_from_env.sh"
    done = subprocess.run([str(script)], env={"ANSIBLE_VAULT_PASSWORD": "s3cret"}, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "s3cret\n")
    missing = subprocess.run([str(script)], env={}, capture_output=True, text=True)
    assert missing.returncode == 1
    assert "ANSIBLE_VAULT_PASSWORD is not set" in missing.stderr
