"""Seed an emulator with what the scheduled jobs work on, without Terraform.

The ops playbooks take the `stack` from the Terraform outputs, or as an extra variable when the
caller already has it. Tests and benchmarks use the latter: they create the few resources a job
reads (an RDS instance with its subnet and parameter groups, log groups with events on whole
Seoul days, the archive bucket) and hand the playbook the matching `stack`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from support import Emulator

REGION = "ap-northeast-2"
DB = "dailyge-local"
PARAMETER_GROUP = "dailyge-local-mysql80"
BUCKET = "dailyge-local-archive"
SEOUL_OFFSET = timedelta(hours=9)
OWN_TAGS = [
    {"Key": "dailyge:created-by", "Value": "dailyge.infra.rds_snapshot"},
    {"Key": "dailyge:snapshot-kind", "Value": "daily"},
]


def seoul_today() -> date:
    return (datetime.now(UTC) + SEOUL_OFFSET).date()


def seoul_ms(day: date, hour: int, minute: int = 0) -> int:
    """Epoch ms of hour:minute Seoul time on day."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - SEOUL_OFFSET
    return int(local.timestamp() * 1000)


def seed_database(emulator: Emulator, db: str = DB) -> dict[str, Any]:
    """An RDS MySQL instance in a subnet group with the stack's parameter group; returns stack keys."""
    ec2, rds = emulator.client("ec2"), emulator.client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{index}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ac", start=1)
    ]
    group = ec2.create_security_group(GroupName=f"{db}-rds", Description="rds", VpcId=vpc)["GroupId"]
    rds.create_db_subnet_group(DBSubnetGroupName=f"{db}-db", DBSubnetGroupDescription="db", SubnetIds=subnets)
    rds.create_db_parameter_group(
        DBParameterGroupName=PARAMETER_GROUP, DBParameterGroupFamily="mysql8.0", Description="utf8mb4, Asia/Seoul"
    )
    rds.create_db_instance(
        DBInstanceIdentifier=db,
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        EngineVersion="8.0.39",
        MasterUsername="dailyge",
        MasterUserPassword="emulator-placeholder-1",
        AllocatedStorage=20,
        DBSubnetGroupName=f"{db}-db",
        DBParameterGroupName=PARAMETER_GROUP,
        VpcSecurityGroupIds=[group],
        BackupRetentionPeriod=7,
        PreferredBackupWindow="18:00-18:30",
    )
    return {"rds_instance_identifier": db, "rds_parameter_group_name": PARAMETER_GROUP}


def seed_dailies(emulator: Emulator, days: Iterable[date], db: str = DB, tags: list[dict] | None = None) -> list[str]:
    rds = emulator.client("rds")
    names = []
    for day in days:
        name = f"{db}-daily-{day:%Y%m%d}"
        rds.create_db_snapshot(
            DBSnapshotIdentifier=name, DBInstanceIdentifier=db, Tags=OWN_TAGS if tags is None else tags
        )
        names.append(name)
    return names


def seed_logs(
    emulator: Emulator, groups: list[str], days: list[date], streams_per_group: int = 2, live: bool = True
) -> None:
    """Each group gets `streams_per_group` streams with events on every day, plus one live stream."""
    logs = emulator.client("logs")
    for group in groups:
        logs.create_log_group(logGroupName=group)
        for index in range(streams_per_group):
            stream = f"api/api/task-{index}"
            times = [seed for day in days for seed in (seoul_ms(day, 9, index), seoul_ms(day, 21, index))]
            put_events(logs, group, stream, times)
        if live:
            put_events(logs, group, "api/api/task-live", [seoul_ms(days[-1], 23), seoul_ms(seoul_today(), 0, 1)])


def put_events(logs: Any, group: str, stream: str, times: list[int]) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [
        {
            "timestamp": ts,
            "message": json.dumps({"server": "api", "path": "/api/health-check", "method": "GET", "n": n}),
        }
        for n, ts in enumerate(sorted(times))
    ]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def seed_bucket(emulator: Emulator, bucket: str = BUCKET) -> dict[str, Any]:
    emulator.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return {
        "archive_bucket_name": bucket,
        "archive_prefixes": {"cloudwatch_logs": "cloudwatch-logs", "heap_dumps": "heapdumps"},
    }


def stack_file(path: Path, **stack: Any) -> str:
    """Write {"stack": ...} for `-e @file`; returns the argument."""
    path.write_text(json.dumps({"stack": {"environment": "local", "aws_region": REGION, **stack}}))
    return f"@{path}"
