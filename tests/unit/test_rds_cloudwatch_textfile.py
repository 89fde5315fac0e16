"""roles/db_exporters/files/rds_cloudwatch_textfile.py: RDS CloudWatch metrics for the textfile collector."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

SCRIPT = Path(__file__).resolve().parents[2] / "roles/db_exporters/files/rds_cloudwatch_textfile.py"
spec = importlib.util.spec_from_file_location("rds_cloudwatch_textfile", SCRIPT)
rds_cloudwatch = importlib.util.module_from_spec(spec)
sys.modules["rds_cloudwatch_textfile"] = rds_cloudwatch
spec.loader.exec_module(rds_cloudwatch)


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="ap-northeast-2")


def put(cloudwatch, name: str, value: float, minutes_ago: int, db: str = "dailyge-prod") -> None:
    cloudwatch.put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": db}],
                "Timestamp": datetime.now(UTC) - timedelta(minutes=minutes_ago),
                "Value": value,
            }
        ],
    )


def test_the_newest_datapoint_of_each_metric_becomes_a_gauge(cloudwatch, tmp_path: Path, capsys):
    put(cloudwatch, "CPUUtilization", 40.0, 5)
    put(cloudwatch, "CPUUtilization", 82.5, 1)
    put(cloudwatch, "DatabaseConnections", 12, 1)
    put(cloudwatch, "CPUUtilization", 99.0, 1, db="another-db")
    dest = tmp_path / "rds_cloudwatch.prom"

    code = rds_cloudwatch.main(["--db-instance", "dailyge-prod", "--dest", str(dest)], cloudwatch=cloudwatch)

    assert code == 0
    text = dest.read_text()
    assert 'dailyge_rds_cpu_utilization_percent{db_instance="dailyge-prod"} 82.5\n' in text
    assert 'dailyge_rds_database_connections{db_instance="dailyge-prod"} 12\n' in text
    assert "# TYPE dailyge_rds_cpu_utilization_percent gauge" in text
    assert "dailyge_rds_free_storage_bytes" not in text, "no datapoint: absent, not zero"
    assert capsys.readouterr().out.strip().endswith("2 metrics, written")


def test_an_unchanged_value_leaves_the_file_alone(cloudwatch, tmp_path: Path, capsys):
    put(cloudwatch, "CPUUtilization", 10.0, 1)
    dest = tmp_path / "rds.prom"
    rds_cloudwatch.main(["--db-instance", "dailyge-prod", "--dest", str(dest)], cloudwatch=cloudwatch)
    before = dest.stat().st_mtime_ns

    rds_cloudwatch.main(["--db-instance", "dailyge-prod", "--dest", str(dest)], cloudwatch=cloudwatch)

    assert dest.stat().st_mtime_ns == before
    assert capsys.readouterr().out.strip().endswith("unchanged")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["rds.prom"], "no temporary file left"


def test_a_failure_keeps_the_last_good_file(tmp_path: Path, capsys):
    class Broken:
        def get_metric_data(self, **_):
            raise RuntimeError("throttled")

    dest = tmp_path / "rds.prom"
    dest.write_text("last good\n")
    assert rds_cloudwatch.main(["--db-instance", "x", "--dest", str(dest)], cloudwatch=Broken()) == 1
    assert dest.read_text() == "last good\n"
    assert "throttled" in capsys.readouterr().err
