"""terraform/modules/ecs/files/heapdump_uploader.py in-process (moto): verification, re-runs and bad settings."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

UPLOADER = Path(__file__).resolve().parents[2] / "terraform" / "modules" / "ecs" / "files" / "heapdump_uploader.py"
BUCKET = "archive"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("heapdump_uploader", UPLOADER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


uploader = load()


class CountingS3:
    """The moto S3 client, counting the calls; head_object can be told to lie about the ETag."""

    def __init__(self, client: Any, wrong_etag: bool = False) -> None:
        self.client, self.wrong_etag, self.calls = client, wrong_etag, []

    def __getattr__(self, name: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            answer = getattr(self.client, name)(**kwargs)
            if name == "head_object" and self.wrong_etag:
                answer["ETag"] = '"0000"'
            return answer

        return call


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="ap-northeast-2")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
        yield client


def config(folder: Path) -> Any:
    return uploader.Config(folder, BUCKET, "heapdumps", "dailyge-prod", "i-0abc", "", 30.0, 5 * uploader.MIB)


def old_dump(folder: Path, size: int = 4096) -> Path:
    path = folder / "java_pid7.hprof"
    path.write_bytes(b"JAVA PROFILE 1.0.2\0" + b"x" * size)
    os.utime(path, (time.time() - 600, time.time() - 600))
    return path


def test_a_verification_mismatch_keeps_the_dump(s3, tmp_path):
    path = old_dump(tmp_path)
    assert uploader.run_once(CountingS3(s3, wrong_etag=True), config(tmp_path), time.time()) is False
    assert path.exists()
    assert [entry.name for entry in tmp_path.iterdir()] == [path.name]


def test_a_dump_already_uploaded_by_an_interrupted_pass_is_not_uploaded_again(s3, tmp_path):
    path = old_dump(tmp_path)
    packed = uploader.pack(path, 5 * uploader.MIB)
    key = uploader.object_key(config(tmp_path), path)
    uploader.upload(s3, packed, BUCKET, key, 5 * uploader.MIB)  # uploaded, then the host died before the delete
    packed.path.unlink()
    counting = CountingS3(s3)
    assert uploader.run_once(counting, config(tmp_path), time.time()) is True
    assert "put_object" not in counting.calls and "create_multipart_upload" not in counting.calls
    assert not path.exists()


def test_the_key_names_cluster_instance_and_the_dump_time(tmp_path):
    path = old_dump(tmp_path)
    os.utime(path, (1795750000, 1795750000))
    assert uploader.object_key(config(tmp_path), path) == "heapdumps/dailyge-prod/i-0abc/20261127T032640Z.hprof.gz"


def test_the_etag_of_a_multipart_upload_is_the_md5_of_the_part_md5s():
    import hashlib

    parts = [hashlib.md5(b"a").digest(), hashlib.md5(b"b").digest()]  # noqa: S324
    packed = uploader.Packed(Path("x"), 2, parts)
    assert packed.etag == hashlib.md5(b"".join(parts)).hexdigest() + "-2"  # noqa: S324


def test_empty_and_recent_files_and_other_names_are_not_finished(tmp_path):
    (tmp_path / "empty.hprof").write_bytes(b"")
    os.utime(tmp_path / "empty.hprof", (0, 0))
    (tmp_path / "fresh.hprof").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"x")
    os.utime(tmp_path / "notes.txt", (0, 0))
    old = old_dump(tmp_path)
    assert uploader.finished_dumps(tmp_path, 30.0, time.time()) == [old]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cluster", "c", "--instance-id", "i"], "--bucket unknown"),
        (
            ["--bucket", "b", "--cluster", "c", "--instance-id", "i", "--part-size-mib", "1"],
            "--part-size-mib must be 5 to 5120",
        ),
    ],
)
def test_missing_or_bad_settings_are_one_line(monkeypatch, args, message):
    for name in ("DAILYGE_HEAPDUMP_BUCKET", "DAILYGE_ECS_CLUSTER", "DAILYGE_INSTANCE_ID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit, match=message):
        uploader.build_config(uploader.parse_args(args))
