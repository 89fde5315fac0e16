#!/usr/bin/env python3
"""Write an RDS instance's CloudWatch metrics for the node exporter's textfile collector.

Run by cron every minute on the monitoring host (roles/db_exporters):

    rds_cloudwatch_textfile.py --db-instance dailyge-prod --dest /var/lib/prometheus/node-exporter/rds_cloudwatch.prom

One GetMetricData call reads the last 10 minutes of CPUUtilization, DatabaseConnections and
FreeStorageSpace (1-minute averages); the newest datapoint of each becomes a gauge. A metric with no
datapoint is left out (Prometheus then shows it absent, not zero). The file is written atomically,
and only when its content changed. Needs boto3 only (python3-boto3).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

METRICS = {
    "CPUUtilization": ("dailyge_rds_cpu_utilization_percent", "CPU utilisation of the RDS instance (CloudWatch, %)"),
    "DatabaseConnections": ("dailyge_rds_database_connections", "Open connections to the RDS instance (CloudWatch)"),
    "FreeStorageSpace": ("dailyge_rds_free_storage_bytes", "Free storage of the RDS instance (CloudWatch, bytes)"),
}


def fetch(cloudwatch: Any, db_instance: str, now: datetime) -> dict[str, float]:
    """Newest 1-minute average of each metric, by CloudWatch metric name."""
    queries = [
        {
            "Id": f"m{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/RDS",
                    "MetricName": name,
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": db_instance}],
                },
                "Period": 60,
                "Stat": "Average",
            },
            "ReturnData": True,
        }
        for index, name in enumerate(METRICS)
    ]
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(minutes=10), EndTime=now, ScanBy="TimestampDescending"
    )
    names = list(METRICS)
    found: dict[str, float] = {}
    for result in answer.get("MetricDataResults", []):
        pairs = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False), reverse=True)
        if pairs:
            found[names[int(result["Id"][1:])]] = float(pairs[0][1])
    return found


def render(db_instance: str, values: dict[str, float]) -> str:
    lines = []
    for name, (metric, help_text) in METRICS.items():
        if name in values:
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} gauge"]
            lines.append(f'{metric}{{db_instance="{db_instance}"}} {values[name]:g}')
    return "\n".join(lines) + "\n" if lines else ""


def write_if_changed(dest: Path, content: str) -> bool:
    if dest.exists() and dest.read_text(encoding="utf-8") == content:
        return False
    handle, temp_name = tempfile.mkstemp(prefix=".rds_cloudwatch.", dir=dest.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        temp.chmod(0o644)
        temp.replace(dest)  # the collector reads only *.prom: the temporary name is never read
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return True


def main(argv: list[str] | None = None, cloudwatch: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-instance", required=True)
    parser.add_argument("--dest", required=True, type=Path)
    parser.add_argument("--region")
    # Debian's boto3 (bookworm: 1.26) predates botocore's own AWS_ENDPOINT_URL support: read it here.
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or None)
    args = parser.parse_args(argv)
    try:
        if cloudwatch is None:
            import boto3

            cloudwatch = boto3.client("cloudwatch", region_name=args.region, endpoint_url=args.endpoint_url)
        values = fetch(cloudwatch, args.db_instance, datetime.now(UTC))
        changed = write_if_changed(args.dest, render(args.db_instance, values))
    except Exception as exc:  # cron logs one line and keeps the last good file
        print(f"rds_cloudwatch: {args.db_instance}: {exc}", file=sys.stderr)
        return 1
    print(f"rds_cloudwatch: {args.db_instance}: {len(values)} metrics, {'written' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
