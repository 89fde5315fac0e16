"""roles/ops_jobs/files/dailyge_heartbeat.py: a stand-in Alertmanager (a real HTTP server answering
its API v2) and moto's CloudWatch in-process. The change, check mode, idempotence, bad input, and the
two failures that must stop the heartbeat (no Watchdog alert, Alertmanager down)."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from module_harness import fake_aws_environment
from moto import mock_aws

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "ops_jobs" / "files" / "dailyge_heartbeat.py"
WATCHDOG = {"labels": {"alertname": "Watchdog", "severity": "none", "env": "unit"}, "status": {"state": "active"}}


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dailyge_heartbeat", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


heartbeat = load()


class Alertmanager:
    """Answers GET /api/v2/alerts with `alerts`, filtered by the alertname matcher as Alertmanager does."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = [WATCHDOG]
        self.queries: list[dict[str, list[str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                owner.queries.append(query)
                wanted = query.get("filter", [""])[0].split("=", 1)[-1].strip('"')
                body = json.dumps([alert for alert in owner.alerts if alert["labels"]["alertname"] == wanted]).encode()
                self.send_response(200 if url.path == "/api/v2/alerts" else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def alertmanager() -> Iterator[Alertmanager]:
    stand_in = Alertmanager()
    yield stand_in
    stand_in.server.shutdown()


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fake_aws_environment(monkeypatch)
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="ap-northeast-2")


def beats(client: Any) -> int:
    now = datetime.now(UTC)
    answer = client.get_metric_statistics(
        Namespace="Dailyge/Watchdog",
        MetricName="Heartbeat",
        Dimensions=[{"Name": "Environment", "Value": "unit"}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=1),
        Period=3600,
        Statistics=["SampleCount"],
    )
    return int(sum(point["SampleCount"] for point in answer["Datapoints"]))


def run(url: str, state: Path, client: Any, *extra: str) -> int:
    argv = ["--environment", "unit", "--alertmanager-url", url, "--state-file", str(state), *extra]
    return heartbeat.main(argv, client_factory=lambda: client)


def test_a_firing_watchdog_publishes_the_heartbeat(
    alertmanager: Alertmanager, cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(alertmanager.url, tmp_path / "last", cloudwatch) == 0

    assert beats(cloudwatch) == 1
    assert "published Dailyge/Watchdog/Heartbeat{Environment=unit} = 1" in capsys.readouterr().out
    assert (tmp_path / "last").read_text().strip() == datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
    query = alertmanager.queries[-1]
    assert query["active"] == ["true"] and query["silenced"] == ["false"] and query["inhibited"] == ["false"]


def test_check_mode_writes_nothing(
    alertmanager: Alertmanager, cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(alertmanager.url, tmp_path / "last", cloudwatch, "--check") == 0

    assert beats(cloudwatch) == 0 and not (tmp_path / "last").exists()
    assert "would publish" in capsys.readouterr().out


def test_a_second_run_in_the_same_minute_publishes_nothing(
    alertmanager: Alertmanager, cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(alertmanager.url, tmp_path / "last", cloudwatch)
    before = (tmp_path / "last").stat().st_mtime_ns

    assert run(alertmanager.url, tmp_path / "last", cloudwatch) == 0

    assert beats(cloudwatch) == 1 and (tmp_path / "last").stat().st_mtime_ns == before
    assert "already published" in capsys.readouterr().out


def test_no_watchdog_alert_no_heartbeat(
    alertmanager: Alertmanager, cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alertmanager.alerts = [{"labels": {"alertname": "TargetDown"}, "status": {"state": "active"}}]

    assert run(alertmanager.url, tmp_path / "last", cloudwatch) == 1

    assert beats(cloudwatch) == 0
    assert "NOT published: no active Watchdog alert" in capsys.readouterr().out


def test_a_silenced_watchdog_is_not_a_heartbeat(alertmanager: Alertmanager, cloudwatch: Any, tmp_path: Path) -> None:
    alertmanager.alerts = [{"labels": {"alertname": "Watchdog"}, "status": {"state": "suppressed"}}]

    assert run(alertmanager.url, tmp_path / "last", cloudwatch) == 1
    assert beats(cloudwatch) == 0


def test_alertmanager_down_no_heartbeat(cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("http://127.0.0.1:9", tmp_path / "last", cloudwatch) == 1

    assert beats(cloudwatch) == 0 and not (tmp_path / "last").exists()
    assert "NOT published: Alertmanager http://127.0.0.1:9 did not answer" in capsys.readouterr().out


def test_cloudwatch_unreachable_is_one_line_and_keeps_no_state(
    alertmanager: Alertmanager, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_aws_environment(monkeypatch)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    client = boto3.client("cloudwatch", region_name="ap-northeast-2", endpoint_url="http://127.0.0.1:9")

    assert run(alertmanager.url, tmp_path / "last", client) == 1

    out = capsys.readouterr().out
    assert "NOT published: CloudWatch refused or did not answer" in out and len(out.strip().splitlines()) == 1
    assert not (tmp_path / "last").exists()  # the next minute tries again


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--environment", "Prod Env", "--environment 'Prod Env' must be lowercase"),
        ("--alertmanager-url", "127.0.0.1:9093", "--alertmanager-url '127.0.0.1:9093' must be http(s)://host[:port]"),
        ("--namespace", "AWS/EC2", "--namespace 'AWS/EC2' must be a custom CloudWatch namespace"),
    ],
)
def test_bad_arguments_are_refused_before_anything(
    option: str,
    value: str,
    message: str,
    alertmanager: Alertmanager,
    cloudwatch: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--environment", "unit", "--alertmanager-url", alertmanager.url, "--state-file", str(tmp_path / "last")]
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]

    with pytest.raises(SystemExit) as exited:
        heartbeat.main(argv, client_factory=lambda: cloudwatch)

    assert exited.value.code == 2 and message in capsys.readouterr().err
    assert alertmanager.queries == [] and beats(cloudwatch) == 0
