"""dailyge.infra.cloudwatch_metric_datum against moto (in-process): the change, check mode, idempotence,
bad input, and CloudWatch unreachable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from ansible_collections.dailyge.infra.plugins.modules import cloudwatch_metric_datum
from module_harness import fake_aws_environment, recording_api_calls
from module_runner import run_module
from moto import mock_aws

STARTED = datetime.now(UTC).replace(second=7, microsecond=0) - timedelta(hours=1)
ARGS = {
    "namespace": "Dailyge/Jobs",
    "metric_name": "JobSucceeded",
    "dimensions": {"Environment": "unit", "Job": "backup"},
    "value": 1,
    "timestamp": str(STARTED.timestamp()),
}


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fake_aws_environment(monkeypatch)
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="ap-northeast-2")


def datapoints(client: Any) -> list[dict[str, Any]]:
    answer = client.get_metric_statistics(
        Namespace="Dailyge/Jobs",
        MetricName="JobSucceeded",
        Dimensions=[{"Name": "Environment", "Value": "unit"}, {"Name": "Job", "Value": "backup"}],
        StartTime=STARTED - timedelta(hours=1),
        EndTime=STARTED + timedelta(hours=1),
        Period=60,
        Statistics=["SampleCount", "Maximum"],
    )
    return answer["Datapoints"]


def publish(capsys: pytest.CaptureFixture[str], **extra: Any) -> dict[str, Any]:
    return run_module(cloudwatch_metric_datum, ARGS | extra, capsys)


def test_a_success_is_published_once_at_the_run_start(cloudwatch: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = publish(capsys)

    assert result["changed"] is True and result["published"] is True and result["already_present"] is False
    assert result["datum"]["timestamp"] == STARTED.isoformat() and result["datum"]["unit"] == "Count"
    [point] = datapoints(cloudwatch)
    assert point["SampleCount"] == 1 and point["Maximum"] == 1


def test_check_mode_reads_only(
    cloudwatch: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with recording_api_calls(monkeypatch) as calls:
        result = publish(capsys, _ansible_check_mode=True)

    assert result["changed"] is True and result["published"] is False
    assert calls.writes == [] and calls.reads == ["GetMetricStatistics"]
    assert datapoints(cloudwatch) == []


def test_the_same_run_again_publishes_nothing(
    cloudwatch: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(capsys)
    with recording_api_calls(monkeypatch) as calls:
        again = publish(capsys, _ansible_diff=True)

    assert again["changed"] is False and again["published"] is False and again["already_present"] is True
    assert calls.writes == []
    assert datapoints(cloudwatch)[0]["SampleCount"] == 1
    assert again["diff"]["before"] == again["diff"]["after"]


def test_another_run_is_another_datapoint(cloudwatch: Any, capsys: pytest.CaptureFixture[str]) -> None:
    publish(capsys)
    later = publish(capsys, timestamp=(STARTED + timedelta(minutes=30)).isoformat())

    assert later["changed"] is True and len(datapoints(cloudwatch)) == 2


def test_a_success_within_the_window_counts_as_published(cloudwatch: Any, capsys: pytest.CaptureFixture[str]) -> None:
    publish(capsys)
    soon = publish(capsys, timestamp=(STARTED + timedelta(minutes=20)).isoformat(), skip_within=1800)
    later = publish(capsys, timestamp=(STARTED + timedelta(minutes=50)).isoformat(), skip_within=1800)

    assert soon["changed"] is False and soon["already_present"] is True
    assert later["changed"] is True and len(datapoints(cloudwatch)) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"skip_within": 90000}, "skip_within 90000 must be 0-86400 seconds"),
        ({"namespace": "AWS/EC2"}, "namespace 'AWS/EC2' must be a custom CloudWatch namespace"),
        ({"dimensions": {"Job": ""}}, "dimensions.Job must be a name of 1-255 and a value of 1-1024 characters"),
        ({"timestamp": "yesterday"}, "timestamp 'yesterday' is neither epoch seconds nor ISO 8601"),
        ({"timestamp": "2020-01-01T00:00:00Z"}, "is outside what CloudWatch accepts"),
    ],
)
def test_bad_input_is_refused_before_any_call(
    extra: dict[str, Any],
    message: str,
    cloudwatch: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with recording_api_calls(monkeypatch) as calls:
        result = publish(capsys, **extra)

    assert result["failed"] is True and message in result["msg"] and "\n" not in result["msg"]
    assert calls.calls == []
    assert datapoints(cloudwatch) == []


def test_cloudwatch_unreachable_fails_the_module_with_its_reason(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_aws_environment(monkeypatch)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = publish(capsys, endpoint_url="http://127.0.0.1:9")  # nothing listens on port 9

    assert result["failed"] is True
    assert result["msg"].startswith("cannot read Dailyge/Jobs/JobSucceeded from CloudWatch")
