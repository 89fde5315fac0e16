#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cost_report
short_description: Yesterday's and month-to-date AWS cost by service, compared with the previous period
version_added: 0.1.0
description:
  - Reads Cost Explorer (C(GetCostAndUsage)) and reports, per service, the cost of yesterday compared
    with the day before, and the month-to-date cost compared with the same days of the previous month.
  - Makes one daily query grouped by service over both months (following C(NextPageToken)), so a report
    usually costs a single Cost Explorer request; Cost Explorer bills every request.
  - Days are Cost Explorer's days (UTC). C(yesterday) is the day before O(date). Month to date is the
    month that holds yesterday, from its first day to yesterday, so on the first of a month it is the
    whole previous month. The previous period is the same number of days from the first of the month
    before, cut at that month's end.
  - Read-only; never reports C(changed). Runs the same in check mode.
  - Returns the figures as data and as a Slack-ready text (a fixed-width table of the top services).
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
options:
  date:
    description:
      - The day the report is made, as C(YYYY-MM-DD); it covers the days before it.
      - Defaults to today (UTC).
    type: str
  metric:
    description: The Cost Explorer cost metric.
    type: str
    default: UnblendedCost
    choices: [UnblendedCost, AmortizedCost, BlendedCost, NetUnblendedCost, NetAmortizedCost]
  group_by:
    description: The Cost Explorer dimension the costs are split by.
    type: str
    default: SERVICE
    choices: [SERVICE, LINKED_ACCOUNT, REGION, USAGE_TYPE]
  tags:
    description:
      - Only costs of resources carrying all these cost allocation tags (key to value), for example
        the environment's tag when several environments share an account.
    type: dict
    default: {}
  top:
    description: How many groups the text lists (by yesterday's cost); the others are summed as C(other).
    type: int
    default: 10
  title:
    description: The first line of the text.
    type: str
    default: AWS cost report
  increase_alert_percent:
    description:
      - Mark groups whose cost yesterday rose by more than this percentage over the day before (and by at
        least O(increase_alert_min_amount)); they are listed in RV(alerts).
    type: float
    default: 20.0
  increase_alert_min_amount:
    description: Ignore increases smaller than this amount (in the report's currency) for RV(alerts).
    type: float
    default: 1.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Cost Explorer answers from C(us-east-1) whatever the region; botocore resolves its global endpoint.
  - Needs C(ce:GetCostAndUsage).
"""

EXAMPLES = r"""
- name: Read yesterday's and this month's cost by service
  dailyge.infra.cost_report:
    title: "Dailyge prod: AWS cost"
    tags:
      Environment: prod
  register: cost

- name: Post it to Slack
  ansible.builtin.uri:
    url: "{{ slack_webhook_url }}"
    method: POST
    body_format: json
    body:
      text: "{{ cost.text }}"

- name: The report of a given day (for example to re-send a missed one)
  dailyge.infra.cost_report:
    date: "2026-11-02"
    metric: AmortizedCost
"""

RETURN = r"""
report:
  description: The figures of both periods.
  returned: success
  type: dict
  contains:
    currency:
      description: The currency of every amount.
      type: str
      sample: USD
    metric:
      description: The Cost Explorer metric.
      type: str
      sample: UnblendedCost
    estimated:
      description: Whether Cost Explorer marked any of yesterday's figures as estimated (not final yet).
      type: bool
    yesterday:
      description: Yesterday compared with the day before.
      type: dict
      sample:
        period: {start: "2026-11-26", end: "2026-11-27"}
        previous_period: {start: "2026-11-25", end: "2026-11-26"}
        total: 12.34
        previous_total: 11.14
        change: 1.2
        change_percent: 10.8
        groups:
          - {name: Amazon Elastic Compute Cloud - Compute, amount: 5.0, previous: 4.5, change: 0.5, change_percent: 11.1}
    month_to_date:
      description: Month to date compared with the same days of the previous month (same keys as RV(report.yesterday)).
      type: dict
text:
  description: The report as Slack text (a header and a fixed-width table in a code block).
  returned: success
  type: str
alerts:
  description: Groups whose cost yesterday rose by more than O(increase_alert_percent) and O(increase_alert_min_amount).
  returned: success
  type: list
  elements: dict
  sample: [{name: AWS WAF, amount: 9.0, previous: 2.0, change: 7.0, change_percent: 350.0}]
api_calls:
  description: The number of Cost Explorer requests made (each is billed).
  returned: success
  type: int
  sample: 1
"""

import contextlib
import datetime
from decimal import Decimal
from typing import Any

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing boto3/botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

ARGUMENT_SPEC: dict[str, Any] = {
    "date": {"type": "str"},
    "metric": {
        "type": "str",
        "default": "UnblendedCost",
        "choices": ["UnblendedCost", "AmortizedCost", "BlendedCost", "NetUnblendedCost", "NetAmortizedCost"],
    },
    "group_by": {"type": "str", "default": "SERVICE", "choices": ["SERVICE", "LINKED_ACCOUNT", "REGION", "USAGE_TYPE"]},
    "tags": {"type": "dict", "default": {}},
    "top": {"type": "int", "default": 10},
    "title": {"type": "str", "default": "AWS cost report"},
    "increase_alert_percent": {"type": "float", "default": 20.0},
    "increase_alert_min_amount": {"type": "float", "default": 1.0},
}
RETRY_CODES = ["LimitExceededException", "ThrottlingException"]
MAX_PAGES = 50
Period = tuple[datetime.date, datetime.date]  # [start, end): Cost Explorer's end is exclusive


def parse_date(text: str | None, today: datetime.date) -> datetime.date:
    """The report day from the `date` option (YYYY-MM-DD), or `today` when it is not given."""
    if not text:
        return today
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"date must be YYYY-MM-DD, got {text!r}") from exc


def first_of_previous_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def periods(report_day: datetime.date) -> dict[str, Period]:
    """The four periods of a report made on `report_day` (each [start, end))."""
    one_day = datetime.timedelta(days=1)
    yesterday = report_day - one_day
    month_start = yesterday.replace(day=1)
    length = report_day - month_start
    previous_start = first_of_previous_month(month_start)
    previous_end = min(previous_start + length, month_start)
    return {
        "yesterday": (yesterday, report_day),
        "day_before": (yesterday - one_day, yesterday),
        "month_to_date": (month_start, report_day),
        "previous_month_to_date": (previous_start, previous_end),
    }


def validation_errors(params: dict[str, Any]) -> list[str]:
    errors = []
    if params["top"] < 1:
        errors.append(f"top must be 1 or more, got {params['top']}")
    if params["increase_alert_percent"] < 0 or params["increase_alert_min_amount"] < 0:
        errors.append("increase_alert_percent and increase_alert_min_amount must be 0 or more")
    bad_tags = [key for key, value in params["tags"].items() if not isinstance(value, str) or not key]
    if bad_tags:
        errors.append(f"tags must map tag keys to string values: {bad_tags}")
    return errors


def query(params: dict[str, Any], start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """The GetCostAndUsage request for daily costs grouped by the chosen dimension."""
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": [params["metric"]],
        "GroupBy": [{"Type": "DIMENSION", "Key": params["group_by"]}],
    }
    tags = [
        {"Tags": {"Key": key, "Values": [value], "MatchOptions": ["EQUALS"]}} for key, value in params["tags"].items()
    ]
    if len(tags) == 1:
        request["Filter"] = tags[0]
    elif tags:
        request["Filter"] = {"And": tags}
    return request


def fetch_days(client: Any, request: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Every ResultsByTime entry of the query, following NextPageToken; and the number of requests."""
    days: list[dict[str, Any]] = []
    token = None
    for calls in range(1, MAX_PAGES + 1):
        page = client.get_cost_and_usage(aws_retry=True, **request, **({"NextPageToken": token} if token else {}))
        days.extend(page.get("ResultsByTime") or [])
        token = page.get("NextPageToken")
        if not token:
            return days, calls
    raise RuntimeError(f"Cost Explorer returned more than {MAX_PAGES} pages")


def daily_amounts(
    days: list[dict[str, Any]], metric: str
) -> tuple[dict[datetime.date, dict[str, Decimal]], str, set[datetime.date]]:
    """Amount per day per group, the currency, and the days Cost Explorer marked as estimated."""
    amounts: dict[datetime.date, dict[str, Decimal]] = {}
    currencies = set()
    estimated = set()
    for entry in days:
        day = datetime.date.fromisoformat(entry["TimePeriod"]["Start"])
        per_group = amounts.setdefault(day, {})
        if entry.get("Estimated"):
            estimated.add(day)
        for group in entry.get("Groups") or []:
            value = (group.get("Metrics") or {}).get(metric) or {}
            name = " / ".join(group.get("Keys") or ["(none)"])
            per_group[name] = per_group.get(name, Decimal(0)) + Decimal(value.get("Amount") or "0")
            if value.get("Unit"):
                currencies.add(value["Unit"])
    currency = currencies.pop() if len(currencies) == 1 else ("mixed" if currencies else "USD")
    return amounts, currency, estimated


def sum_period(amounts: dict[datetime.date, dict[str, Decimal]], period: Period) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for day, per_group in amounts.items():
        if period[0] <= day < period[1]:
            for name, amount in per_group.items():
                totals[name] = totals.get(name, Decimal(0)) + amount
    return totals


def percent(change: Decimal, previous: Decimal) -> float | None:
    return round(float(change / previous * 100), 1) if previous else None


def money(value: Decimal) -> float:
    return round(float(value), 4)


def compare(
    current: dict[str, Decimal], previous: dict[str, Decimal], period: Period, before: Period
) -> dict[str, Any]:
    """One period against the previous one, groups sorted by current cost (then name)."""
    names = sorted(set(current) | set(previous), key=lambda name: (-current.get(name, Decimal(0)), name))
    groups = []
    for name in names:
        now, then = current.get(name, Decimal(0)), previous.get(name, Decimal(0))
        groups.append(
            {
                "name": name,
                "amount": money(now),
                "previous": money(then),
                "change": money(now - then),
                "change_percent": percent(now - then, then),
            }
        )
    total, previous_total = sum(current.values(), Decimal(0)), sum(previous.values(), Decimal(0))
    return {
        "period": {"start": period[0].isoformat(), "end": period[1].isoformat()},
        "previous_period": {"start": before[0].isoformat(), "end": before[1].isoformat()},
        "total": money(total),
        "previous_total": money(previous_total),
        "change": money(total - previous_total),
        "change_percent": percent(total - previous_total, previous_total),
        "groups": groups,
    }


def build_report(days: list[dict[str, Any]], params: dict[str, Any], report_day: datetime.date) -> dict[str, Any]:
    spans = periods(report_day)
    amounts, currency, estimated = daily_amounts(days, params["metric"])
    yesterday = compare(
        sum_period(amounts, spans["yesterday"]), sum_period(amounts, spans["day_before"]),
        spans["yesterday"], spans["day_before"],
    )  # fmt: skip
    month = compare(
        sum_period(amounts, spans["month_to_date"]), sum_period(amounts, spans["previous_month_to_date"]),
        spans["month_to_date"], spans["previous_month_to_date"],
    )  # fmt: skip
    return {
        "currency": currency,
        "metric": params["metric"],
        "estimated": spans["yesterday"][0] in estimated,
        "yesterday": yesterday,
        "month_to_date": month,
    }


def alerts(report: dict[str, Any], min_percent: float, min_amount: float) -> list[dict[str, Any]]:
    """Groups whose cost yesterday rose by more than both thresholds (a new cost counts as infinite %)."""
    return [
        group
        for group in report["yesterday"]["groups"]
        if group["change"] >= min_amount and (group["change_percent"] is None or group["change_percent"] > min_percent)
    ]


def signed(value: float, currency: str) -> str:
    return f"{'+' if value >= 0 else '-'}{abs(value):,.2f} {currency}"


def change_text(change: float, change_pct: float | None, currency: str) -> str:
    pct = "new" if change_pct is None else f"{change_pct:+.1f}%"
    return f"{signed(change, currency)} ({pct})" if change or change_pct else "no change"


def last_day(period: dict[str, str]) -> str:
    return (datetime.date.fromisoformat(period["end"]) - datetime.timedelta(days=1)).isoformat()


def table_rows(report: dict[str, Any], top: int) -> list[list[str]]:
    """Rows of the text's table: the top groups by yesterday's cost, then `other`, then the total."""
    month = {group["name"]: group for group in report["month_to_date"]["groups"]}
    ranked = [group["name"] for group in report["yesterday"]["groups"]]
    ranked += [name for name in month if name not in ranked]
    shown, rest = ranked[:top], ranked[top:]
    day = {group["name"]: group for group in report["yesterday"]["groups"]}

    def row(name: str, names: list[str]) -> list[str]:
        def total(source: dict[str, dict[str, Any]], key: str) -> float:
            return sum(source[item][key] for item in names if item in source)

        return [
            name,
            f"{total(day, 'amount'):,.2f}",
            f"{total(day, 'change'):+,.2f}",
            f"{total(month, 'amount'):,.2f}",
            f"{total(month, 'change'):+,.2f}",
        ]

    rows = [row(name, [name]) for name in shown]
    if rest:
        rows.append(row(f"other ({len(rest)})", rest))
    rows.append(row("total", ranked))
    return rows


def render_text(report: dict[str, Any], params: dict[str, Any], found_alerts: list[dict[str, Any]]) -> str:
    currency = report["currency"]
    day, month = report["yesterday"], report["month_to_date"]
    estimated = " (estimated, not final yet)" if report["estimated"] else ""
    lines = [
        f"*{params['title']}* ({report['metric']}, {currency})",
        f"Yesterday {day['period']['start']}: *{day['total']:,.2f} {currency}*{estimated}, "
        f"{change_text(day['change'], day['change_percent'], currency)} vs {day['previous_period']['start']}",
        f"Month to date {month['period']['start']}..{last_day(month['period'])}: *{month['total']:,.2f} {currency}*, "
        f"{change_text(month['change'], month['change_percent'], currency)} vs "
        f"{month['previous_period']['start']}..{last_day(month['previous_period'])}",
    ]
    if found_alerts:
        lines.append(
            ":warning: rising: "
            + ", ".join(
                f"{group['name']} {change_text(group['change'], group['change_percent'], currency)}"
                for group in found_alerts
            )
        )
    header = [
        params["group_by"].lower().replace("_", " "),
        "yesterday",
        "vs day before",
        "month to date",
        "vs last month",
    ]
    rows = [header, *table_rows(report, params["top"])]
    name_width = min(max(len(row[0]) for row in rows), 44)
    widths = [max(len(row[index]) for row in rows) for index in range(1, 5)]
    table = [
        f"{row[0][:name_width]:<{name_width}}  " + "  ".join(f"{cell:>{width}}" for cell, width in zip(row[1:], widths))
        for row in rows
    ]
    return "\n".join([*lines, "```", *table, "```"])


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = dict(module.params)
    errors = validation_errors(params)
    try:
        report_day = parse_date(params["date"], datetime.datetime.now(datetime.timezone.utc).date())
    except ValueError as exc:
        errors.append(str(exc))
    if errors:
        module.fail_json(msg="; ".join(errors))
    spans = periods(report_day)
    client = module.client("ce", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES))
    request = query(params, min(spans["previous_month_to_date"][0], spans["day_before"][0]), report_day)
    try:
        days, calls = fetch_days(client, request)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Cost Explorer GetCostAndUsage failed for {request['TimePeriod']}")
    except RuntimeError as exc:
        module.fail_json(msg=str(exc))
    report = build_report(days, params, report_day)
    found = alerts(report, params["increase_alert_percent"], params["increase_alert_min_amount"])
    module.exit_json(
        changed=False, report=report, text=render_text(report, params, found), alerts=found, api_calls=calls
    )


if __name__ == "__main__":
    main()
