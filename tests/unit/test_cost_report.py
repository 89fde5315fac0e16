"""dailyge.infra.cost_report against moto's Cost Explorer (results fed through moto's own queue, as
`/moto-api/static/ce/cost-and-usage-results` does): periods, figures, pagination, check mode,
repeatability, retries on throttling and bad input."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dailyge.infra.plugins.modules import cost_report
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal.models import moto_api_backend

REPORT_DAY = "2026-11-27"
EC2, RDS, WAF = "Amazon Elastic Compute Cloud - Compute", "Amazon Relational Database Service", "AWS WAF"
OCTOBER_FIRST, REPORT_DATE = datetime.date(2026, 10, 1), datetime.date(2026, 11, 27)


def daily_cost(day: datetime.date) -> dict[str, float]:
    """The account's cost per service on `day`: EC2 rose in November, WAF spiked yesterday."""
    waf = 3.0 if day == datetime.date(2026, 11, 26) else 0.5
    return {EC2: 2.5 if day.month == 11 else 2.0, RDS: 1.0, WAF: waf}


def results_by_time(start: datetime.date, end: datetime.date, estimated: frozenset = frozenset()) -> list[dict]:
    days = []
    day = start
    while day < end:
        groups = [
            {"Keys": [name], "Metrics": {"UnblendedCost": {"Amount": f"{amount:.10f}", "Unit": "USD"}}}
            for name, amount in daily_cost(day).items()
        ]
        following = day + datetime.timedelta(days=1)
        period = {"Start": day.isoformat(), "End": following.isoformat()}
        days.append({"TimePeriod": period, "Total": {}, "Groups": groups, "Estimated": day in estimated})
        day = following
    return days


def feed(*pages: dict[str, Any]) -> None:
    """Queue answers of GetCostAndUsage, as POST /moto-api/static/ce/cost-and-usage-results does."""
    for page in pages:
        moto_api_backend.set_ce_cost_usage(result=page, account_id=DEFAULT_ACCOUNT_ID)


class Calls(list):
    """(operation, params) of every botocore call made by the module."""

    @property
    def operations(self) -> list[str]:
        return [operation for operation, _ in self]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", "ap-northeast-2")
    calls = Calls()
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, params))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    with mock_aws():
        yield calls


def run(args: dict[str, Any], *, check_mode: bool = False) -> dict[str, Any]:
    stdout = io.StringIO()
    module_args = dict(args, _ansible_check_mode=check_mode)
    with patch_module_args(module_args), contextlib.redirect_stdout(stdout), pytest.raises(SystemExit):
        cost_report.main()
    return json.loads(stdout.getvalue())


def two_months(estimated: frozenset = frozenset()) -> dict[str, Any]:
    return {"ResultsByTime": results_by_time(OCTOBER_FIRST, REPORT_DATE, estimated), "DimensionValueAttributes": []}


@pytest.mark.parametrize(
    ("report_day", "expected"),
    [
        ("2026-11-27", ("2026-11-26", "2026-11-25", ("2026-11-01", "2026-11-27"), ("2026-10-01", "2026-10-27"))),
        ("2026-12-01", ("2026-11-30", "2026-11-29", ("2026-11-01", "2026-12-01"), ("2026-10-01", "2026-10-31"))),
        ("2026-03-31", ("2026-03-30", "2026-03-29", ("2026-03-01", "2026-03-31"), ("2026-02-01", "2026-03-01"))),
        ("2027-01-01", ("2026-12-31", "2026-12-30", ("2026-12-01", "2027-01-01"), ("2026-11-01", "2026-12-01"))),
        ("2027-01-02", ("2027-01-01", "2026-12-31", ("2027-01-01", "2027-01-02"), ("2026-12-01", "2026-12-02"))),
    ],
)
def test_periods(report_day: str, expected: tuple):
    spans = cost_report.periods(datetime.date.fromisoformat(report_day))
    yesterday, day_before, month, previous = expected
    assert spans["yesterday"][0].isoformat() == yesterday
    assert spans["day_before"][0].isoformat() == day_before
    assert tuple(day.isoformat() for day in spans["month_to_date"]) == month
    assert tuple(day.isoformat() for day in spans["previous_month_to_date"]) == previous


def test_reports_yesterday_and_month_to_date_by_service_in_one_request(aws: Calls):
    feed(two_months())
    result = run({"date": REPORT_DAY, "title": "Dailyge test: AWS cost"})
    assert result["changed"] is False and result["api_calls"] == 1
    [(operation, request)] = aws
    assert operation == "GetCostAndUsage"
    assert request["TimePeriod"] == {"Start": "2026-10-01", "End": REPORT_DAY}
    assert request["Granularity"] == "DAILY" and request["Metrics"] == ["UnblendedCost"]
    assert request["GroupBy"] == [{"Type": "DIMENSION", "Key": "SERVICE"}] and "Filter" not in request

    day, month = result["report"]["yesterday"], result["report"]["month_to_date"]
    assert (day["total"], day["previous_total"], day["change"], day["change_percent"]) == (6.5, 4.0, 2.5, 62.5)
    assert [group["name"] for group in day["groups"]] == [WAF, EC2, RDS]
    # November 1-26 against October 1-26: EC2 26 x 2.5 vs 26 x 2, RDS 26 vs 26, WAF 25 x 0.5 + 3 vs 13
    assert (month["total"], month["previous_total"], month["change"]) == (106.5, 91.0, 15.5)
    assert month["change_percent"] == 17.0
    assert month["period"] == {"start": "2026-11-01", "end": REPORT_DAY}
    assert month["previous_period"] == {"start": "2026-10-01", "end": "2026-10-27"}
    assert result["report"]["currency"] == "USD" and result["report"]["estimated"] is False

    assert [group["name"] for group in result["alerts"]] == [WAF]
    text = result["text"]
    assert text.startswith("*Dailyge test: AWS cost* (UnblendedCost, USD)")
    assert "Yesterday 2026-11-26: *6.50 USD*, +2.50 USD (+62.5%) vs 2026-11-25" in text
    assert "Month to date 2026-11-01..2026-11-26: *106.50 USD*, +15.50 USD (+17.0%) vs 2026-10-01..2026-10-26" in text
    assert ":warning: rising: AWS WAF +2.50 USD (+500.0%)" in text
    assert "total" in text.split("```")[1]


def test_top_limits_the_table_and_sums_the_rest(aws: Calls):
    feed(two_months())
    table = run({"date": REPORT_DAY, "top": 1})["text"].split("```")[1].strip().splitlines()
    assert [line.split("  ")[0] for line in table] == ["service", WAF, "other (2)", "total"]
    assert table[2].split()[-4:] == ["3.50", "+0.00", "91.00", "+13.00"]  # EC2 + RDS


def test_follows_next_page_token_and_sums_across_pages(aws: Calls):
    days = results_by_time(OCTOBER_FIRST, REPORT_DATE)
    feed({"ResultsByTime": days[:30], "NextPageToken": "page-2"}, {"ResultsByTime": days[30:]})
    result = run({"date": REPORT_DAY})
    assert result["api_calls"] == 2
    assert [params.get("NextPageToken") for _, params in aws] == [None, "page-2"]
    assert result["report"]["month_to_date"]["total"] == 106.5


def test_check_mode_reports_the_same_and_only_reads(aws: Calls):
    feed(two_months())
    normal = run({"date": REPORT_DAY})
    checked = run({"date": REPORT_DAY}, check_mode=True)
    assert checked == normal
    assert set(aws.operations) == {"GetCostAndUsage"}


def test_a_second_run_reports_the_same_and_changes_nothing(aws: Calls):
    feed(two_months())
    first, second = run({"date": REPORT_DAY}), run({"date": REPORT_DAY})
    assert first == second and second["changed"] is False


def test_tags_filter_the_query_and_estimated_days_are_said(aws: Calls):
    feed(two_months(frozenset({datetime.date(2026, 11, 26)})))
    result = run({"date": REPORT_DAY, "tags": {"Environment": "prod", "Project": "dailyge"}, "metric": "UnblendedCost"})
    request = aws[0][1]
    assert request["Filter"] == {
        "And": [
            {"Tags": {"Key": "Environment", "Values": ["prod"], "MatchOptions": ["EQUALS"]}},
            {"Tags": {"Key": "Project", "Values": ["dailyge"], "MatchOptions": ["EQUALS"]}},
        ]
    }
    assert result["report"]["estimated"] is True
    assert "(estimated, not final yet)" in result["text"]


def test_an_empty_account_reports_zero_without_failing(aws: Calls):
    result = run({"date": REPORT_DAY})  # nothing queued: moto answers with no ResultsByTime
    assert result["report"]["yesterday"]["total"] == 0 and result["report"]["yesterday"]["change_percent"] is None
    assert "Yesterday 2026-11-26: *0.00 USD*, no change" in result["text"]


def test_throttling_is_retried(aws: Calls, monkeypatch: pytest.MonkeyPatch):
    feed(two_months())
    recording = BaseClient._make_api_call
    throttled = []

    def throttle_twice(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if len(throttled) < 2:
            throttled.append(operation)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, operation)
        return recording(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttle_twice)
    monkeypatch.setattr("time.sleep", lambda _seconds: None)
    result = run({"date": REPORT_DAY})
    assert throttled == ["GetCostAndUsage", "GetCostAndUsage"]
    assert result["report"]["yesterday"]["total"] == 6.5


def test_access_denied_fails_with_the_period_and_aws_error(aws: Calls, monkeypatch: pytest.MonkeyPatch):
    def deny(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no ce:GetCostAndUsage"}}, operation)

    monkeypatch.setattr(BaseClient, "_make_api_call", deny)
    result = run({"date": REPORT_DAY})
    assert result["failed"] is True
    assert result["msg"].startswith("Cost Explorer GetCostAndUsage failed for {'Start': '2026-10-01'")
    assert "AccessDeniedException" in result["msg"] or result["error"]["code"] == "AccessDeniedException"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"date": "yesterday"}, "date must be YYYY-MM-DD, got 'yesterday'"),
        ({"date": "2026-02-30"}, "date must be YYYY-MM-DD, got '2026-02-30'"),
        ({"top": 0}, "top must be 1 or more, got 0"),
        ({"increase_alert_percent": -5}, "increase_alert_percent and increase_alert_min_amount must be 0 or more"),
        ({"tags": {"Environment": 3}}, "tags must map tag keys to string values: ['Environment']"),
        ({"metric": "Cheapest"}, "value of metric must be one of"),
    ],
)
def test_bad_input_is_refused_before_any_call(aws: Calls, args: dict[str, Any], message: str):
    result = run(args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert aws == []
