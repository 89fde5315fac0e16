"""playbooks/ops/cost_report.yml against the embedded AWS: Cost Explorer answers are fed through moto's
`/moto-api/static/ce/cost-and-usage-results`, the report reaches the local Slack receiver."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
from support import Emulator, run_playbook

pytestmark = pytest.mark.integration

REPORT_DAY = datetime.date(2026, 11, 27)


def feed_costs(emulator: Emulator) -> None:
    """Daily cost of two services from 1 October to the day before the report (one GetCostAndUsage answer)."""
    days, day = [], datetime.date(2026, 10, 1)
    while day < REPORT_DAY:
        amounts = {"Amazon Elastic Container Service": 4.0 if day.month == 11 else 3.0, "AWS WAF": 0.25}
        groups = [
            {"Keys": [name], "Metrics": {"UnblendedCost": {"Amount": str(amount), "Unit": "USD"}}}
            for name, amount in amounts.items()
        ]
        following = day + datetime.timedelta(days=1)
        days.append({"TimePeriod": {"Start": str(day), "End": str(following)}, "Groups": groups, "Estimated": False})
        day = following
    body = json.dumps({"results": [{"ResultsByTime": days, "DimensionValueAttributes": []}]}).encode()
    request = urllib.request.Request(
        f"{emulator.endpoint}/moto-api/static/ce/cost-and-usage-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201


def cost_messages(emulator: Emulator) -> list[str]:
    return [m["payload"]["text"] for m in emulator.slack_messages() if "AWS cost" in m["payload"].get("text", "")]


def test_the_daily_cost_report_reaches_slack(emulator: Emulator):
    feed_costs(emulator)
    run = run_playbook(
        "playbooks/ops/cost_report.yml", "-i", "inventories/local", "-e", f"cost_report_date={REPORT_DAY}",
        env=emulator.env,
    )  # fmt: skip
    assert run.returncode == 0, run.failure_messages() or run.stderr[-2000:]
    # Only Terraform's working folder is written (the run lock reads the stack's bucket from the outputs),
    # and JobSucceeded for the watchdog (roles/ops_jobs/tasks/job_metric.yml).
    working_folder = ("CLI config |", "Init |", "Emulator state |")
    changed = [t for t in run.changed_tasks() if not any(part in t for part in working_folder)]
    assert changed == ["ops_jobs : Job metric | JobSucceeded = 1 to CloudWatch"], run.changed_tasks()
    metrics = emulator.client("cloudwatch").list_metrics(Namespace="Dailyge/Jobs", MetricName="JobSucceeded")["Metrics"]
    assert [sorted((item["Name"], item["Value"]) for item in metric["Dimensions"]) for metric in metrics] == [
        [("Environment", "local"), ("Job", "cost_report")]
    ]
    [text] = cost_messages(emulator)
    assert text.startswith("*Dailyge local: AWS cost* (UnblendedCost, USD)")
    # 26 November: 4.00 + 0.25 against 25 November: the same
    assert "Yesterday 2026-11-26: *4.25 USD*, no change vs 2026-11-25" in text
    # 1-26 November (26 x 4.25 = 110.50) against 1-26 October (26 x 3.25 = 84.50)
    assert "Month to date 2026-11-01..2026-11-26: *110.50 USD*, +26.00 USD (+30.8%) vs 2026-10-01..2026-10-26" in text


def test_a_check_run_reads_but_posts_nothing(emulator: Emulator):
    before = len(cost_messages(emulator))
    run = run_playbook(
        "playbooks/ops/cost_report.yml", "-i", "inventories/local", "-e", f"cost_report_date={REPORT_DAY}", "--check",
        env=emulator.env,
    )  # fmt: skip
    assert run.returncode == 0, run.failure_messages()
    assert len(cost_messages(emulator)) == before


def test_a_report_that_cannot_be_made_is_announced_and_fails(emulator: Emulator):
    run = run_playbook(
        "playbooks/ops/cost_report.yml", "-i", "inventories/local", "-e", "cost_report_date=27/11/2026",
        env=emulator.env,
    )  # fmt: skip
    assert run.returncode != 0
    expected = "the cost report could not be made: date must be YYYY-MM-DD, got '27/11/2026'"
    assert expected in run.failure_messages()
    texts = [m["payload"]["text"] for m in emulator.slack_messages()]
    assert texts[-1] == ":x: Dailyge local cost report: FAILURE - date must be YYYY-MM-DD, got '27/11/2026'"


def test_a_report_slack_refuses_fails_without_showing_the_webhook(emulator: Emulator):
    webhook = f"http://127.0.0.1:{emulator.settings.slack_port}/not-a-webhook/SECRET-TOKEN"
    run = run_playbook(
        "playbooks/ops/cost_report.yml", "-i", "inventories/local", "-e", f"cost_report_date={REPORT_DAY}",
        "-e", f"slack_webhook_url={webhook}", env=emulator.env,
    )  # fmt: skip
    assert run.returncode != 0
    assert "Slack did not accept the cost report (HTTP 404)" in run.failure_messages()
    assert "SECRET-TOKEN" not in run.stdout


def test_the_installed_cron_entry_runs_the_report_and_records_its_success(emulator: Emulator, tmp_path: Path):
    """schedules.yml installs the daily cost report; firing its entry as cron would posts the report
    and writes the job's success metric (the alerts watch dailyge_job_last_success_timestamp_seconds)."""
    root = tmp_path / "ops-root"
    install = run_playbook(
        "playbooks/schedules.yml", "-i", "inventories/local", "-e", "ops_jobs_cron_tz_support=ignored",
        env=emulator.env | {"DAILYGE_OPS_ROOT": str(root)},
    )  # fmt: skip
    assert install.returncode == 0, install.failure_messages() or install.stdout[-3000:]
    text = (root / "etc/cron.d/dailyge-cost-report").read_text()
    assert "\nCRON_TZ=Asia/Seoul\n" in text
    when, command = re.search(r"^(\S+ \S+ \S+ \S+ \S+) root (.+)$", text, re.M).groups()
    assert when == "30 0 * * *"  # 09:30 Asia/Seoul, written in this machine's UTC
    assert "playbooks/ops/cost_report.yml" in command

    before = len(emulator.slack_messages())
    cron_env = dict(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.M))
    cron_env.update(HOME=os.environ.get("HOME", "/root"), LOGNAME="root", **emulator.env)
    fired = subprocess.run(["/bin/sh", "-c", command], env=cron_env, cwd="/", timeout=600, check=False)
    log = (root / "var/log/dailyge/cost_report.log").read_text()
    assert fired.returncode == 0, log[-3000:]
    assert "AWS cost" in emulator.slack_messages()[before]["payload"]["text"]
    metrics = (root / "var/lib/prometheus/node-exporter/dailyge_job_cost_report.prom").read_text()
    assert re.search(r'^dailyge_job_last_run_success\{task="cost_report"\} 1$', metrics, re.M), metrics
    assert re.search(r'^dailyge_job_last_success_timestamp_seconds\{task="cost_report"\} \d', metrics, re.M), metrics
