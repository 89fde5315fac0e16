"""Test doubles for the scheduled-ops engines: a clock that never sleeps, and a call recorder.

The engines take a `Clock` and a client wrapped by amazon.aws's `RetryingBotoClientWrapper`; these
replace the clock and count every API call so a test can assert "no write happened".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

READ_PREFIXES = ("Describe", "List", "Get", "Head", "Filter")


class FakeClock:
    """Wall time starts at `start` and, like the monotonic counter, advances only on sleep."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds


class Recorder:
    """Wraps a boto3 client and records the name of every operation called on it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith(("get_paginator", "can_paginate", "get_waiter")):
            return attribute

        def recorded(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return recorded

    @property
    def writes(self) -> list[str]:
        return [name for name in self.calls if not pascal(name).startswith(READ_PREFIXES)]


def pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def wrap(client: Any, retry: Any) -> tuple[Any, Recorder]:
    """The client as the modules get it (retrying wrapper), over a recorder of the calls."""
    recorder = Recorder(client)
    return RetryingBotoClientWrapper(recorder, retry), recorder


def client_error(code: str, message: str = "", status: int = 400) -> dict[str, Any]:
    """Keyword arguments of Stubber.add_client_error for an AWS error code."""
    return {"service_error_code": code, "service_message": message or code, "http_status_code": status}


@contextmanager
def archive_account(region: str, bucket: str, groups: tuple[str, ...]) -> Iterator[tuple[Any, Any]]:
    """In-process moto (mock_aws) with the archive bucket and the log groups: (logs, s3) clients."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        logs, s3 = boto3.client("logs", region_name=region), boto3.client("s3", region_name=region)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        for group in groups:
            logs.create_log_group(logGroupName=group)
        yield logs, s3
