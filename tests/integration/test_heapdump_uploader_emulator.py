"""The ECS hosts' heap dump uploader (terraform/modules/ecs/files) against the emulator, as a separate process.

A generated `.hprof` goes to s3://<archive>/heapdumps/<cluster>/<instance-id>/<timestamp>.hprof.gz,
is verified, announced in Slack and only then removed; an upload that fails keeps the dump.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO_ROOT, Emulator

pytestmark = pytest.mark.integration

UPLOADER = REPO_ROOT / "terraform" / "modules" / "ecs" / "files" / "heapdump_uploader.py"
BUCKET = "dailyge-heapdump-test"
CLUSTER = "dailyge-local"
INSTANCE = "i-0123456789abcdef0"


def dump(folder: Path, name: str, size: int, age: float = 120.0, random: bool = False) -> Path:
    """A fake heap dump: JAVA PROFILE header and `size` bytes, last written `age` seconds ago."""
    path = folder / name
    body = os.urandom(size) if random else (b"JAVA PROFILE 1.0.2\0" + b"\x01\x02heap" * (size // 6))[:size]
    path.write_bytes(body)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def upload(emulator: Emulator, folder: Path, *args: str, slack: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=emulator.endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="ap-northeast-2",
        DAILYGE_HEAPDUMP_DIR=str(folder),
        DAILYGE_HEAPDUMP_BUCKET=BUCKET,
        DAILYGE_ECS_CLUSTER=CLUSTER,
        DAILYGE_INSTANCE_ID=INSTANCE,
        DAILYGE_SLACK_WEBHOOK_URL=slack
        or f"http://127.0.0.1:{emulator.settings.slack_port}/services/LOCAL/DAILYGE/local",
    )
    command = [sys.executable, str(UPLOADER), "--once", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def bucket(emulator: Emulator) -> str:
    emulator.client("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"}
    )
    return BUCKET


def keys(emulator: Emulator, prefix: str = "heapdumps/") -> list[str]:
    listing = emulator.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listing)


def test_a_finished_dump_is_uploaded_verified_announced_then_removed(emulator, bucket, tmp_path):
    path = dump(tmp_path, "java_pid1.hprof", 300_000)
    original = path.read_bytes()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(path.stat().st_mtime))
    result = upload(emulator, tmp_path)
    assert result.returncode == 0, result.stderr
    key = f"heapdumps/{CLUSTER}/{INSTANCE}/{stamp}.hprof.gz"
    assert key in keys(emulator)
    body = emulator.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert gzip.decompress(body) == original
    assert not path.exists(), "removed only after the verified upload"
    assert list(tmp_path.iterdir()) == [], "no temporary gzip left behind"
    text = emulator.slack_messages()[-1]["payload"]["text"]
    assert f"s3://{BUCKET}/{key}" in text and INSTANCE in text


def test_a_large_dump_goes_up_in_parts_and_the_multipart_etag_is_verified(emulator, bucket, tmp_path):
    path = dump(
        tmp_path, "java_pid2.hprof", 11 * 1024 * 1024, age=7200, random=True
    )  # incompressible: 3 parts of 5 MiB
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(path.stat().st_mtime))
    result = upload(emulator, tmp_path, "--part-size-mib", "5")
    assert result.returncode == 0, result.stderr
    assert not path.exists()
    head = emulator.client("s3").head_object(Bucket=BUCKET, Key=f"heapdumps/{CLUSTER}/{INSTANCE}/{stamp}.hprof.gz")
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]
    assert head["ContentLength"] > 11 * 1024 * 1024


def test_an_upload_that_fails_keeps_the_dump(emulator, bucket, tmp_path):
    path = dump(tmp_path, "java_pid3.hprof", 50_000)
    before = len(emulator.slack_messages())
    result = upload(emulator, tmp_path, "--bucket", "no-such-bucket-for-dumps")
    assert result.returncode == 1
    assert "the dump is kept" in result.stderr and "NoSuchBucket" in result.stderr
    assert path.exists() and path.stat().st_size == 50_000
    assert [entry.name for entry in tmp_path.iterdir()] == ["java_pid3.hprof"], "the temporary gzip is cleaned up"
    assert len(emulator.slack_messages()) == before, "nothing announced for a dump that is not in S3"


def test_a_dump_still_being_written_is_left_alone(emulator, bucket, tmp_path):
    path = dump(tmp_path, "java_pid4.hprof", 10_000, age=1.0)
    result = upload(emulator, tmp_path, "--settle", "30")
    assert result.returncode == 0
    assert path.exists()


def test_a_slack_outage_does_not_keep_an_uploaded_dump(emulator, bucket, tmp_path):
    path = dump(tmp_path, "java_pid5.hprof", 20_000)
    result = upload(emulator, tmp_path, slack="http://127.0.0.1:9/services/down")
    assert result.returncode == 0, result.stderr
    assert "Slack announcement failed" in result.stderr and "the dump is in S3 all the same" in result.stderr
    assert not path.exists()
