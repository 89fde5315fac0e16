"""The dead man's switch on the converged local stack (issue 14, defect 8).

Prometheus' always-firing Watchdog alert sits in Alertmanager; the installed heartbeat cron entry,
fired as cron would, finds it and publishes Dailyge/Watchdog Heartbeat to the emulator's CloudWatch.
The alarms Terraform created (terraform/modules/watchdog) are evaluated by the emulator on demand
(`python -m emulator evaluate-alarms`, emulator/alarms.py: moto never evaluates alarms): with the
heartbeat the alarm is OK; evaluated ten minutes later, when the heartbeat has stopped, it is ALARM,
and the notification goes through the alarm topic to the Slack notifier Lambda (its deployed zip,
run by the emulator) to the local Slack receiver. A job that succeeds publishes JobSucceeded; a day
later without another success its alarm fires.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import REPO_ROOT, LocalStack, run_playbook

pytestmark = pytest.mark.integration

ALERTMANAGER = "http://127.0.0.1:9093"
CHANGE = re.compile(r"^  (\S+): (\S+) -> (\S+) \(", re.M)


@pytest.fixture(scope="module")
def stack(local_stack: LocalStack) -> dict[str, Any]:
    return local_stack.stack()


def alarms(local_stack: LocalStack, names: list[str]) -> dict[str, dict[str, Any]]:
    found = local_stack.emulator.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    return {alarm["AlarmName"]: alarm for alarm in found}


def invocations(local_stack: LocalStack) -> list[dict[str, Any]]:
    path = local_stack.emulator.settings.state_dir / "emulator" / "lambda-invocations.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def evaluate(local_stack: LocalStack, at: datetime) -> dict[str, tuple[str, str]]:
    """`python -m emulator evaluate-alarms --at ...` as a user runs it; waits until SNS has run the Lambda
    for every notification; returns alarm -> (old, new)."""
    before = len(invocations(local_stack))
    run = subprocess.run(
        [sys.executable, "-m", "emulator", "evaluate-alarms", "--at", at.isoformat()],
        cwd=REPO_ROOT, env=os.environ | local_stack.emulator.env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    changes = {name: (old, new) for name, old, new in CHANGE.findall(run.stdout)}
    expected = run.stdout.count("arn:aws:sns:")  # one Lambda run per notified topic (the alarm topic)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(invocations(local_stack)) - before < expected:
        time.sleep(0.5)
    assert len(invocations(local_stack)) - before == expected, run.stdout
    assert all(item["returncode"] == 0 for item in invocations(local_stack)[before:]), invocations(local_stack)[before:]
    return changes


def slack_texts(local_stack: LocalStack, since: int) -> list[str]:
    return [message["payload"].get("text", "") for message in local_stack.emulator.slack_messages()[since:]]


def wait_for_watchdog_alert(timeout: float = 180.0) -> None:
    query = urllib.parse.urlencode({"active": "true", "filter": 'alertname="Watchdog"'})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{ALERTMANAGER}/api/v2/alerts?{query}", timeout=5) as answer:
                if json.loads(answer.read()):
                    return
        except OSError:
            pass
        time.sleep(2)
    pytest.fail(f"Prometheus' Watchdog alert did not reach Alertmanager {ALERTMANAGER} within {timeout:.0f} s")


def fire_heartbeat(local_stack: LocalStack) -> tuple[int, str]:
    """Run the installed heartbeat cron entry as cron would: /bin/sh -c <command> with the file's environment."""
    root = Path(local_stack.emulator.env["DAILYGE_OPS_ROOT"])
    text = (root / "etc/cron.d/dailyge-heartbeat").read_text()
    cron_env = dict(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.M))
    command = re.search(r"^\* \* \* \* \* root (.+)$", text, re.M).group(1)
    cron_env.update(HOME=os.environ.get("HOME", "/root"), LOGNAME="root")
    fired = subprocess.run(["/bin/sh", "-c", command], env=cron_env, cwd="/", timeout=60, check=False)
    log = root / "var/log/dailyge/heartbeat.log"
    return fired.returncode, log.read_text().splitlines()[-1]


def test_the_alarms_watch_the_host_and_every_scheduled_job(local_stack: LocalStack, stack: dict[str, Any]) -> None:
    schedules = yaml.safe_load((REPO_ROOT / "roles/ops_jobs/defaults/main.yml").read_text())["ops_jobs_schedules"]
    jobs = stack["watchdog_job_alarm_names"]
    assert set(jobs) == {job for job, spec in schedules.items() if spec["enabled"]}  # the cron schedule's own list

    names = [stack["watchdog_heartbeat_alarm_name"], stack["watchdog_status_check_alarm_name"], *jobs.values()]
    found = alarms(local_stack, names)
    assert sorted(found) == sorted(names)
    for alarm in found.values():
        assert alarm["TreatMissingData"] == "breaching", alarm["AlarmName"]
        assert alarm["AlarmActions"] == alarm["OKActions"] == [stack["alarm_topic_arn"]], alarm["AlarmName"]
    heartbeat = found[stack["watchdog_heartbeat_alarm_name"]]
    assert (heartbeat["Namespace"], heartbeat["MetricName"], heartbeat["Period"]) == (
        "Dailyge/Watchdog",
        "Heartbeat",
        60,
    )
    assert heartbeat["Dimensions"] == [{"Name": "Environment", "Value": "local"}]
    status = found[stack["watchdog_status_check_alarm_name"]]
    assert status["MetricName"] == "StatusCheckFailed"
    assert status["Dimensions"] == [{"Name": "InstanceId", "Value": stack["monitoring_instance_id"]}]
    for job, name in jobs.items():
        alarm = found[name]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["EvaluationPeriods"]) == (
            "Dailyge/Jobs",
            "JobSucceeded",
            1,
        )
        assert alarm["Period"] == (604800 if "weekday" in schedules[job] else 86400), job
        assert {item["Name"]: item["Value"] for item in alarm["Dimensions"]} == {"Environment": "local", "Job": job}


def test_a_stopped_heartbeat_turns_its_alarm_to_alarm_and_slack_hears_it(
    local_stack: LocalStack, stack: dict[str, Any]
) -> None:
    name = stack["watchdog_heartbeat_alarm_name"]
    wait_for_watchdog_alert()

    returncode, line = fire_heartbeat(local_stack)

    assert returncode == 0 and "published Dailyge/Watchdog/Heartbeat{Environment=local} = 1" in line, line
    # As CloudWatch, the emulator evaluates whole minutes: the heartbeat's minute counts once it is over.
    now = datetime.now(UTC) + timedelta(minutes=1)
    evaluate(local_stack, now)
    assert alarms(local_stack, [name])[name]["StateValue"] == "OK"
    status = stack["watchdog_status_check_alarm_name"]
    assert alarms(local_stack, [status])[status]["StateValue"] == "OK", "the monitoring instance runs"

    # The host goes quiet: ten minutes later the last five one-minute periods hold no heartbeat.
    since = len(local_stack.emulator.slack_messages())
    changes = evaluate(local_stack, now + timedelta(minutes=10))

    assert changes[name] == ("OK", "ALARM")
    alarm = alarms(local_stack, [name])[name]
    assert alarm["StateValue"] == "ALARM" and "5 missing datapoints treated as breaching" in alarm["StateReason"]
    [text] = [text for text in slack_texts(local_stack, since) if name in text]
    assert text.startswith(f":rotating_light: *ALARM* {name} (local)")
    assert "Metric: Dailyge/Watchdog/Heartbeat [Environment=local]" in text

    # The heartbeat is back (the same minute's datapoint, or a new one): the alarm recovers, and says so.
    returncode, line = fire_heartbeat(local_stack)
    assert returncode == 0, line
    since = len(local_stack.emulator.slack_messages())
    assert evaluate(local_stack, datetime.now(UTC) + timedelta(minutes=1))[name] == ("ALARM", "OK")
    assert any(text.startswith(f":white_check_mark: *OK* {name} (local)") for text in slack_texts(local_stack, since))


def test_a_job_that_missed_a_day_fires_its_alarm(local_stack: LocalStack, stack: dict[str, Any]) -> None:
    drift = stack["watchdog_job_alarm_names"]["drift_check"]
    run = run_playbook("playbooks/ops/drift_check.yml", "-i", "inventories/local", env=local_stack.emulator.env)
    assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
    metrics = local_stack.emulator.client("cloudwatch").list_metrics(
        Namespace="Dailyge/Jobs", MetricName="JobSucceeded", Dimensions=[{"Name": "Job", "Value": "drift_check"}]
    )["Metrics"]
    assert len(metrics) == 1, metrics  # published by roles/ops_jobs/tasks/job_metric.yml

    now = datetime.now(UTC) + timedelta(minutes=1)
    evaluate(local_stack, now)
    job_alarms = stack["watchdog_job_alarm_names"]
    found = alarms(local_stack, list(job_alarms.values()))
    assert found[drift]["StateValue"] == "OK"  # it succeeded today
    cloudwatch = local_stack.emulator.client("cloudwatch")
    for job, name in job_alarms.items():  # a job without a success in its period (other tests may have run some)
        period = timedelta(seconds=found[name]["Period"])
        points = cloudwatch.get_metric_statistics(
            Namespace="Dailyge/Jobs",
            MetricName="JobSucceeded",
            Dimensions=[{"Name": "Environment", "Value": "local"}, {"Name": "Job", "Value": job}],
            StartTime=now.replace(second=0, microsecond=0) - period,
            EndTime=now.replace(second=0, microsecond=0),
            Period=int(period.total_seconds()),
            Statistics=["Maximum"],
        )["Datapoints"]
        assert found[name]["StateValue"] == ("OK" if points else "ALARM"), (job, points)

    since = len(local_stack.emulator.slack_messages())
    changes = evaluate(local_stack, now + timedelta(hours=25))  # no drift check since yesterday

    assert changes[drift] == ("OK", "ALARM")
    [text] = [text for text in slack_texts(local_stack, since) if drift in text]
    assert text.startswith(f":rotating_light: *ALARM* {drift} (local)")
    assert "Metric: Dailyge/Jobs/JobSucceeded" in text and "Job=drift_check" in text

    # Leave the stack as found: the heartbeat and drift_check alarms evaluated now again.
    fire_heartbeat(local_stack)
    evaluate(local_stack, datetime.now(UTC) + timedelta(minutes=1))
    assert alarms(local_stack, [drift])[drift]["StateValue"] == "OK"
