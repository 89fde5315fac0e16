"""S3 conditional writes in the embedded AWS, which dailyge.infra.run_lock relies on.

moto 5.2 honours them as AWS does (no patch needed; this test fails if a moto upgrade loses them):
PutObject with If-None-Match: * is refused (412) when the key exists, PutObject and DeleteObject with
If-Match are refused (412) when the ETag differs. The emulator serves one request at a time
(emulator/server.py), so two conditional writes to one key cannot both succeed.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator import launcher

REGION = "ap-northeast-2"
BUCKET = "dailyge-conditional-writes"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = launcher.Settings(free_port(), free_port(), Path(tmp_path_factory.mktemp("emulator-state")))
    launcher.start(settings)
    client = boto3.client(
        "s3", region_name=REGION, endpoint_url=settings.endpoint, aws_access_key_id="test", aws_secret_access_key="test"
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield client
    launcher.stop(settings)


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_if_none_match_refuses_an_existing_key(s3):
    s3.put_object(Bucket=BUCKET, Key="locks/a.json", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=BUCKET, Key="locks/a.json", Body=b"second", IfNoneMatch="*")
    assert code(refused) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=BUCKET, Key="locks/a.json")["Body"].read() == b"first"


def test_if_match_replaces_and_deletes_only_the_version_read(s3):
    etag = s3.put_object(Bucket=BUCKET, Key="locks/b.json", Body=b"one")["ETag"]
    newer = s3.put_object(Bucket=BUCKET, Key="locks/b.json", Body=b"two", IfMatch=etag)["ETag"]
    with pytest.raises(ClientError) as stale_put:
        s3.put_object(Bucket=BUCKET, Key="locks/b.json", Body=b"three", IfMatch=etag)
    assert code(stale_put) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as stale_delete:
        s3.delete_object(Bucket=BUCKET, Key="locks/b.json", IfMatch=etag)
    assert code(stale_delete) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=BUCKET, Key="locks/b.json")["Body"].read() == b"two"
    s3.delete_object(Bucket=BUCKET, Key="locks/b.json", IfMatch=newer)
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="locks/b.json").get("KeyCount") == 0
