"""`local` converges quiet (issue 14, defect 9): no MongoDB server exists here, so no MongoDB exporter,
no mongodb job, no MongodbDown alert in Prometheus, Alertmanager or Slack; the summary says so.

The exporter role itself is still tested where it is enabled: molecule/db_exporters.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
import urllib.request
from typing import Any

import pytest

pytestmark = pytest.mark.integration

PROMETHEUS = "http://127.0.0.1:9090"
ALERTMANAGER = "http://127.0.0.1:9093"
SUMMARY_LINE = "MongoDB exporter: off (no MongoDB server in local)"


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def test_the_summary_says_the_exporter_is_off(local_stack):
    assert SUMMARY_LINE in local_stack.converge.stdout
    summaries = [
        m["payload"]["text"]
        for m in local_stack.emulator.slack_messages()
        if "resources under Terraform" in m["payload"].get("text", "")
    ]
    assert summaries and SUMMARY_LINE in summaries[-1], summaries


def test_no_mongodb_target_series_or_alert_after_the_converge(local_stack):
    jobs = {target["labels"]["job"] for target in get(f"{PROMETHEUS}/api/v1/targets")["data"]["activeTargets"]}
    assert "mongodb" not in jobs and {"node", "mysqld", "redis"} <= jobs, jobs
    query = urllib.parse.urlencode({"query": "mongodb_up"})
    assert get(f"{PROMETHEUS}/api/v1/query?{query}")["data"]["result"] == [], (
        "no mongodb_up series: MongodbDown cannot fire"
    )
    alerts = [alert["labels"]["alertname"] for alert in get(f"{PROMETHEUS}/api/v1/alerts")["data"]["alerts"]]
    assert "MongodbDown" not in alerts, alerts
    sent = [alert["labels"]["alertname"] for alert in get(f"{ALERTMANAGER}/api/v2/alerts")]
    assert "MongodbDown" not in sent, sent
    slack = [
        m["payload"].get("text", "") + json.dumps(m["payload"].get("attachments", []))
        for m in local_stack.emulator.slack_messages()
    ]
    assert not any("MongodbDown" in text for text in slack)
    assert len(slack) >= 1, "the Slack receiver recorded the converge's messages (it is listening)"


def test_the_exporter_is_not_running(local_stack):
    with socket.socket() as probe:
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", 9216)) != 0, "nothing listens on the mongodb exporter's port"
