"""lambda/slack_notifier: CloudWatch alarm notifications (SNS events) -> Slack messages.

The events under lambda/slack_notifier/events/ follow the SNS envelope and the alarm JSON that
CloudWatch publishes; messages go to the project's local Slack receiver (which answers as Slack).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from emulator import slack_receiver

LAMBDA = Path(__file__).resolve().parents[2] / "lambda" / "slack_notifier"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("slack_notifier_handler", LAMBDA / "handler.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


notifier = load()


def event(name: str) -> dict[str, Any]:
    return json.loads((LAMBDA / "events" / f"{name}.json").read_text())


@pytest.fixture
def slack(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "messages.jsonl"
    server = slack_receiver.make_server("127.0.0.1", 0, log)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T/B/alarms", log
    server.shutdown()


def texts(log: Path) -> list[str]:
    return [message["payload"]["text"] for message in slack_receiver.last_messages(log, 10)]


def test_an_alarm_becomes_one_slack_message_with_state_reason_metric_and_link(slack, monkeypatch):
    url, log = slack
    monkeypatch.setenv("SLACK_WEBHOOK_URL", url)
    monkeypatch.setenv("DAILYGE_ENVIRONMENT", "prod")
    assert notifier.handler(event("alarm_ecs_cpu_high")) == {"posted": 1}
    (text,) = texts(log)
    assert text.startswith(":rotating_light: *ALARM* dailyge-prod-ecs-api-cpu-high (prod)")
    assert "API service CPU above 75% for 1 minute" in text
    assert "Reason: Threshold Crossed: 1 out of the last 1 datapoints [91.2" in text
    assert "Metric: AWS/ECS/CPUUtilization [ServiceName=api, ClusterName=dailyge-prod]" in text
    assert "Was OK" in text
    assert (
        "https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2#alarmsV2:alarm/dailyge-prod-ecs-api-cpu-high"
        in text
    )


def test_the_return_to_ok_is_reported_too(slack, monkeypatch):
    url, log = slack
    monkeypatch.setenv("SLACK_WEBHOOK_URL", url)
    notifier.handler(event("ok_ecs_cpu"))
    assert texts(log)[0].startswith(":white_check_mark: *OK* dailyge-prod-ecs-api-cpu-high (unknown)")


def test_a_plain_text_publish_is_forwarded_with_its_subject(slack, monkeypatch):
    url, log = slack
    monkeypatch.setenv("SLACK_WEBHOOK_URL", url)
    monkeypatch.setenv("DAILYGE_ENVIRONMENT", "dev")
    notifier.handler(event("plain_text"))
    assert texts(log) == [":bell: Test message (dev)\nTesting the alarm topic from the console"]


def test_a_slack_failure_raises_so_that_lambda_retries(monkeypatch):
    class Outage(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Outage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"http://127.0.0.1:{server.server_address[1]}/services/x")
    try:
        with pytest.raises(RuntimeError, match="Slack answered HTTP 500"):
            notifier.handler(event("alarm_ecs_cpu_high"))
    finally:
        server.shutdown()


def test_the_webhook_comes_from_secrets_manager_when_no_url_is_set():
    class Secrets:
        def get_secret_value(self, SecretId: str) -> dict[str, str]:  # noqa: N803 - boto3's name
            assert SecretId == "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:slack-AbCdEf"
            return {"SecretString": json.dumps({"url": "https://hooks.slack.com/services/T/B/x"})}

    env = {"SLACK_WEBHOOK_SECRET_ARN": "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:slack-AbCdEf"}
    assert notifier.webhook_url(env, Secrets()) == "https://hooks.slack.com/services/T/B/x"


def test_no_webhook_configured_is_one_clear_error():
    with pytest.raises(RuntimeError, match="neither SLACK_WEBHOOK_URL nor SLACK_WEBHOOK_SECRET_ARN is set"):
        notifier.webhook_url({})
