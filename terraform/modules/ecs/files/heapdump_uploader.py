#!/usr/bin/env python3
"""Upload the JVM's heap dumps from an ECS container instance to S3, announce them, then delete them.

The API container runs with `-XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=/heapdumps`, a folder
mounted from the host (ecs_heap_dump_host_path). This uploader watches that host folder; a `*.hprof`
file whose size and modification time have not changed for `--settle` seconds is a finished dump.
For each one it:

1. gzips it next to the dump (`<name>.hprof.gz.part`), computing the MD5 of every upload part;
2. uploads it to `s3://<bucket>/<prefix>/<cluster>/<instance-id>/<timestamp>.hprof.gz` (single PUT
   or multipart, each part with Content-MD5 so S3 rejects a corrupted transfer);
3. verifies the object with HeadObject: its size and its ETag (the MD5, or the multipart ETag) must
   equal the local file's;
4. posts to Slack (a Slack failure is logged, never retried forever: the dump is safe in S3);
5. only then deletes the local dump. Any failure before step 5 keeps the dump for the next pass.

Installed by the launch template's user data of this module (main.tf) as a systemd service; runs
with `--once` in tests (and for a manual pass). Needs Python 3.9+ and boto3 (python3-boto3 on Amazon Linux 2023); the
instance role allows s3:PutObject and s3:GetObject (HeadObject) under the prefix.

Settings come from arguments or the environment (the service's EnvironmentFile):
DAILYGE_HEAPDUMP_DIR, DAILYGE_HEAPDUMP_BUCKET, DAILYGE_HEAPDUMP_PREFIX (heapdumps),
DAILYGE_ECS_CLUSTER (else ECS_CLUSTER from /etc/ecs/ecs.config), DAILYGE_INSTANCE_ID (else the
instance metadata service), DAILYGE_SLACK_WEBHOOK_URL or DAILYGE_SLACK_WEBHOOK_SECRET_ID (a Secrets
Manager secret holding the URL).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

LOG = logging.getLogger("dailyge-heapdump-uploader")
MIB = 1024 * 1024
METADATA = "http://169.254.169.254/latest"


@dataclass(frozen=True)
class Config:
    directory: Path
    bucket: str
    prefix: str
    cluster: str
    instance_id: str
    slack_webhook_url: str = ""
    settle_seconds: float = 30.0
    part_size: int = 64 * MIB


@dataclass(frozen=True)
class Packed:
    """A gzipped dump ready to upload: its path, size, part MD5s and expected ETag."""

    path: Path
    size: int
    part_md5s: list[bytes]

    @property
    def etag(self) -> str:
        if len(self.part_md5s) == 1:
            return self.part_md5s[0].hex()
        return f"{hashlib.md5(b''.join(self.part_md5s)).hexdigest()}-{len(self.part_md5s)}"  # noqa: S324 - S3's ETag


def finished_dumps(directory: Path, settle_seconds: float, now: float) -> list[Path]:
    """The `*.hprof` files the JVM has finished: not empty, not modified for `settle_seconds`."""
    ready = []
    for path in sorted(directory.glob("*.hprof")):
        stat = path.stat()
        if path.is_file() and stat.st_size > 0 and now - stat.st_mtime >= settle_seconds:
            ready.append(path)
    return ready


def object_key(config: Config, dump: Path) -> str:
    mtime = datetime.fromtimestamp(dump.stat().st_mtime, timezone.utc)  # noqa: UP017 - runs on Python 3.9 hosts
    stamp = mtime.strftime("%Y%m%dT%H%M%SZ")
    return f"{config.prefix.strip('/')}/{config.cluster}/{config.instance_id}/{stamp}.hprof.gz"


def pack(dump: Path, part_size: int) -> Packed:
    """gzip the dump to <dump>.gz.part and hash it part by part."""
    target = dump.with_name(dump.name + ".gz.part")
    with dump.open("rb") as source, gzip.open(target, "wb", compresslevel=6) as sink:
        shutil.copyfileobj(source, sink, length=MIB)
    md5s = []
    with target.open("rb") as packed:
        while chunk := packed.read(part_size):
            md5s.append(hashlib.md5(chunk).digest())  # noqa: S324 - Content-MD5 and ETag are MD5 by protocol
    return Packed(target, target.stat().st_size, md5s or [hashlib.md5(b"").digest()])  # noqa: S324


def upload(s3: Any, packed: Packed, bucket: str, key: str, part_size: int) -> None:
    """PUT (one part) or multipart upload, every part with its Content-MD5."""
    if len(packed.part_md5s) == 1:
        with packed.path.open("rb") as body:
            s3.put_object(
                Bucket=bucket, Key=key, Body=body, ContentMD5=b64encode(packed.part_md5s[0]).decode(),
                ContentType="application/gzip",
            )  # fmt: skip
        return
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/gzip")["UploadId"]
    try:
        parts = []
        with packed.path.open("rb") as body:
            for number, md5 in enumerate(packed.part_md5s, start=1):
                answer = s3.upload_part(
                    Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body.read(part_size),
                    ContentMD5=b64encode(md5).decode(),
                )  # fmt: skip
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    except Exception:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise


def verify(s3: Any, packed: Packed, bucket: str, key: str) -> None:
    """HeadObject: size and ETag must equal the local gzip's; ValueError otherwise."""
    head = s3.head_object(Bucket=bucket, Key=key)
    etag = head.get("ETag", "").strip('"')
    if head.get("ContentLength") != packed.size:
        raise ValueError(f"s3://{bucket}/{key} has {head.get('ContentLength')} bytes, the local gzip {packed.size}")
    if etag != packed.etag and head.get("ServerSideEncryption") != "aws:kms":  # SSE-KMS ETags are not MD5s
        raise ValueError(f"s3://{bucket}/{key} has ETag {etag}, the local gzip {packed.etag}")


def already_there(s3: Any, packed: Packed, bucket: str, key: str) -> bool:
    """True when an earlier pass uploaded this very file (it stopped before deleting the dump)."""
    try:
        verify(s3, packed, bucket, key)
    except Exception:  # missing object (404) or a different one: upload
        return False
    return True


def http_call(
    url: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """One HTTP request to a configured URL (the Slack webhook, the link-local metadata service)."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310 - configured URLs
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - configured URLs
        return answer.status, answer.read()


def announce(webhook_url: str, text: str, timeout: float = 10.0) -> bool:
    """Post to a Slack incoming webhook; False (logged) on any failure, never raises."""
    if not webhook_url:
        LOG.info("no Slack webhook configured: not announced")
        return False
    body = json.dumps({"text": text}).encode()
    try:
        status, _ = http_call(webhook_url, "POST", {"Content-Type": "application/json"}, body, timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        LOG.warning("Slack announcement failed (%s); the dump is in S3 all the same", exc)
        return False
    return status == 200


def process(s3: Any, config: Config, dump: Path) -> bool:
    """Upload, verify, announce, delete one dump; False (dump kept) when anything before the delete fails."""
    key = object_key(config, dump)
    packed = None
    try:
        packed = pack(dump, config.part_size)
        if already_there(s3, packed, config.bucket, key):
            LOG.info("%s is already in s3://%s/%s", dump, config.bucket, key)
        else:
            upload(s3, packed, config.bucket, key, config.part_size)
            verify(s3, packed, config.bucket, key)
    except Exception as exc:
        LOG.error("upload of %s to s3://%s/%s failed, the dump is kept: %s", dump, config.bucket, key, exc)
        return False
    finally:
        if packed is not None:
            packed.path.unlink(missing_ok=True)
    size = dump.stat().st_size
    text = (
        f":rotating_light: Heap dump on ECS cluster {config.cluster}, instance {config.instance_id}: "
        f"s3://{config.bucket}/{key} ({packed.size / MIB:.1f} MiB gzip of {size / MIB:.1f} MiB). "
        "The JVM ran out of memory: the task was restarted by ECS."
    )
    announce(config.slack_webhook_url, text)
    dump.unlink()
    LOG.info(
        "uploaded %s to s3://%s/%s (%d bytes, ETag %s) and removed it",
        dump,
        config.bucket,
        key,
        packed.size,
        packed.etag,
    )
    return True


def run_once(s3: Any, config: Config, now: float) -> bool:
    """Process every finished dump; True when all of them were uploaded (or there were none)."""
    results = [process(s3, config, dump) for dump in finished_dumps(config.directory, config.settle_seconds, now)]
    return all(results)


def ecs_cluster(config_file: Path = Path("/etc/ecs/ecs.config")) -> str:
    try:
        for line in config_file.read_text().splitlines():
            if line.startswith("ECS_CLUSTER="):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def instance_id(timeout: float = 2.0) -> str:
    """The instance id from IMDSv2; empty when there is no metadata service."""
    try:
        _, token = http_call(
            f"{METADATA}/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "300"}, None, timeout
        )
        headers = {"X-aws-ec2-metadata-token": token.decode()}
        return http_call(f"{METADATA}/meta-data/instance-id", "GET", headers, None, timeout)[1].decode().strip()
    except (urllib.error.URLError, OSError):
        return ""


def webhook_from_secret(secret_id: str) -> str:
    """The webhook URL kept in Secrets Manager (the secret string, or its `url` field)."""
    import boto3

    value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    try:
        return str(json.loads(value).get("url", ""))
    except (ValueError, AttributeError):
        return value.strip()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(env("DAILYGE_HEAPDUMP_DIR", "/var/lib/dailyge/heapdumps")))
    parser.add_argument("--bucket", default=env("DAILYGE_HEAPDUMP_BUCKET", ""))
    parser.add_argument("--prefix", default=env("DAILYGE_HEAPDUMP_PREFIX", "heapdumps"))
    parser.add_argument("--cluster", default=env("DAILYGE_ECS_CLUSTER", ""))
    parser.add_argument("--instance-id", default=env("DAILYGE_INSTANCE_ID", ""))
    parser.add_argument("--slack-webhook-url", default=env("DAILYGE_SLACK_WEBHOOK_URL", ""))
    parser.add_argument("--slack-webhook-secret-id", default=env("DAILYGE_SLACK_WEBHOOK_SECRET_ID", ""))
    parser.add_argument("--settle", type=float, default=float(env("DAILYGE_HEAPDUMP_SETTLE_SECONDS", "30")))
    parser.add_argument("--interval", type=float, default=float(env("DAILYGE_HEAPDUMP_INTERVAL_SECONDS", "15")))
    parser.add_argument("--part-size-mib", type=int, default=64)
    parser.add_argument(
        "--once", action="store_true", help="process the finished dumps once and exit (1 if one failed)"
    )
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    cluster = args.cluster or ecs_cluster()
    instance = args.instance_id or instance_id()
    missing = [
        name
        for name, value in (("--bucket", args.bucket), ("--cluster", cluster), ("--instance-id", instance))
        if not value
    ]
    if missing:
        raise SystemExit(
            f"dailyge-heapdump-uploader: {', '.join(missing)} unknown: pass them or set the DAILYGE_* variables"
        )
    if not 5 <= args.part_size_mib <= 5 * 1024:
        raise SystemExit("dailyge-heapdump-uploader: --part-size-mib must be 5 to 5120 (S3's part size limits)")
    webhook = args.slack_webhook_url or (
        webhook_from_secret(args.slack_webhook_secret_id) if args.slack_webhook_secret_id else ""
    )
    return Config(args.dir, args.bucket, args.prefix, cluster, instance, webhook, args.settle, args.part_size_mib * MIB)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = parse_args(argv)
    config = build_config(args)
    import boto3

    s3 = boto3.client("s3")
    LOG.info(
        "watching %s for *.hprof -> s3://%s/%s/%s/%s/",
        config.directory,
        config.bucket,
        config.prefix,
        config.cluster,
        config.instance_id,
    )
    if args.once:
        return 0 if run_once(s3, config, time.time()) else 1
    while True:
        run_once(s3, config, time.time())
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
