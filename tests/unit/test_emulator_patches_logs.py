"""The emulator's export-task patch (emulator/patches.py, logs_export_tasks_as_aws_does) in-process.

Every test runs twice: against moto with the patch (the AWS behaviour the docstring describes), and
against stock moto, where it must fail (strict xfail): that is the proof that the emulator was laxer
than AWS and that the log archive's tests now see what AWS would do.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

REGION = "ap-northeast-2"
BUCKET = "export-bucket"
GROUP = "/ecs/app"
# moto accepts events of the last 14 days only: a whole UTC day three days ago.
DAY_START = (int(time.time() * 1000) // 86_400_000 - 3) * 86_400_000
DAY_END = DAY_START + 86_400_000


@pytest.fixture(
    params=[
        "aws",
        pytest.param("stock", marks=pytest.mark.xfail(strict=True, reason="stock moto is laxer than AWS")),
    ]
)
def clients(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    if request.param == "aws":
        request.getfixturevalue("logs_as_aws")
    with mock_aws():
        logs, s3 = boto3.client("logs", region_name=REGION), boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        logs.create_log_group(logGroupName=GROUP)
        for stream, times in {
            "api/a": [DAY_START - 1, DAY_START, DAY_END - 1, DAY_END],  # one before, two inside, one at `to`
            "api/b": [DAY_START + 5],
            "worker/c": [DAY_START + 7],
        }.items():
            logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
            logs.put_log_events(
                logGroupName=GROUP,
                logStreamName=stream,
                logEvents=[{"timestamp": ts, "message": f"{stream} {ts}"} for ts in times],
            )
        yield logs, s3


def export(logs: Any, **extra: Any) -> str:
    return logs.create_export_task(
        taskName="t",
        logGroupName=GROUP,
        fromTime=DAY_START,
        to=DAY_END,
        destination=BUCKET,
        destinationPrefix="day",
        **extra,
    )["taskId"]


def poll(logs: Any, task_id: str) -> list[dict[str, Any]]:
    """Every DescribeExportTasks answer until the task is COMPLETED (at most 5)."""
    seen = []
    for _ in range(5):
        (task,) = logs.describe_export_tasks(taskId=task_id)["exportTasks"]
        seen.append(task)
        if task["status"]["code"] == "COMPLETED":
            break
    return seen


def exported(s3: Any, task_id: str) -> dict[str, list[str]]:
    """Stream -> exported lines of the task's objects."""
    found = {}
    for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"day/{task_id}/").get("Contents", []):
        stream = item["Key"][len(f"day/{task_id}/") :].rsplit("/", 1)[0]
        body = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()).decode()
        found[stream] = [line.split(" ", 1)[1] for line in body.splitlines() if line]
    return found


def test_export_covers_from_inclusive_to_exclusive(clients):
    logs, s3 = clients
    task_id = export(logs)
    poll(logs, task_id)
    objects = exported(s3, task_id)
    assert objects["api/a"] == [f"api/a {DAY_START}", f"api/a {DAY_END - 1}"], "from <= timestamp < to"
    assert set(objects) == {"api/a", "api/b", "worker/c"}


def test_export_honours_the_stream_prefix(clients):
    logs, s3 = clients
    task_id = export(logs, logStreamNamePrefix="api/b")
    poll(logs, task_id)
    assert exported(s3, task_id) == {"api/b": [f"api/b {DAY_START + 5}"]}


def test_task_runs_in_the_background_and_reports_execution_info(clients):
    logs, _ = clients
    task_id = export(logs)
    seen = poll(logs, task_id)
    assert [task["status"]["code"] for task in seen] == ["RUNNING", "COMPLETED"]
    info = seen[-1]["executionInfo"]
    assert info["creationTime"] <= info["completionTime"]
    assert logs.describe_export_tasks(statusCode="RUNNING")["exportTasks"] == []
    assert [t["taskId"] for t in logs.describe_export_tasks(statusCode="COMPLETED")["exportTasks"]] == [task_id]


def test_one_active_export_task_per_account_and_region(clients):
    logs, _ = clients
    first = export(logs)
    with pytest.raises(ClientError) as raised:
        export(logs)
    assert raised.value.response["Error"]["Code"] == "LimitExceededException"
    poll(logs, first)
    export(logs)  # the slot is free again


def test_a_finished_task_cannot_be_cancelled(clients):
    logs, _ = clients
    task_id = export(logs)
    poll(logs, task_id)
    with pytest.raises(ClientError, match="InvalidOperationException"):
        logs.cancel_export_task(taskId=task_id)
