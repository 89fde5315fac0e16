"""playbooks/ops/cost_report.yml against the embedded AWS: Cost Explorer answers are fed through moto's
`/moto-api/static/ce/cost-and-usage-results`, the report reaches the local Slack receiver."""

from __future__ import annotations

import datetime
import json
import urllib.request

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
    assert run.changed == 0
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


def test_a_bad_date_fails_naming_the_format(emulator: Emulator):
    run = run_playbook(
        "playbooks/ops/cost_report.yml", "-i", "inventories/local", "-e", "cost_report_date=27/11/2026",
        env=emulator.env,
    )  # fmt: skip
    assert run.returncode != 0
    assert "date must be YYYY-MM-DD, got '27/11/2026'" in run.failure_messages()
