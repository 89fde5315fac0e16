"""The local Slack receiver answers as Slack's incoming webhooks do and records every message."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from support import free_port

from emulator import slack_receiver


@pytest.fixture
def receiver(tmp_path: Path):
    log = tmp_path / "slack" / "messages.jsonl"
    server = slack_receiver.make_server("127.0.0.1", free_port(), log)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", log
    server.shutdown()
    server.server_close()


def post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"text": "backup ok"}', (200, "ok")),
        (b'{"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]}', (200, "ok")),
        (b'{"attachments": [{"fallback": "alert", "color": "danger"}]}', (200, "ok")),
        (b"not json", (400, "invalid_payload")),
        (b"[1, 2]", (400, "invalid_payload")),
        (b'{"channel": "#ops"}', (400, "no_text")),
        (b'{"text": ""}', (400, "no_text")),
    ],
)
def test_answers_as_slack_does(receiver, body, expected):
    url, _ = receiver
    assert post(url + "/services/T0/B0/secret", body) == expected


def test_unknown_paths_are_404(receiver):
    url, log = receiver
    assert post(url + "/api/chat.postMessage", b'{"text": "x"}') == (404, "no_service")
    assert not log.exists()


def test_records_only_accepted_messages_and_keeps_unicode(receiver):
    url, log = receiver
    post(url + "/services/T0/B0/x", '{"text": "백업 완료 ✅"}'.encode())
    post(url + "/services/T0/B0/x", b'{"nothing": 1}')
    messages = slack_receiver.last_messages(log, 10)
    assert [m["payload"]["text"] for m in messages] == ["백업 완료 ✅"]
    assert messages[0]["path"] == "/services/T0/B0/x"
    assert "백업 완료" in log.read_text(encoding="utf-8")


def test_last_messages_returns_the_newest_in_order(tmp_path: Path):
    log = tmp_path / "m.jsonl"
    log.write_text("".join(f'{{"received_at": "t{i}", "payload": {{"text": "m{i}"}}}}\n' for i in range(7)))
    assert [m["payload"]["text"] for m in slack_receiver.last_messages(log, 3)] == ["m4", "m5", "m6"]
    assert slack_receiver.last_messages(log, 0) == []
    assert slack_receiver.last_messages(tmp_path / "missing.jsonl") == []


def test_summary_reads_text_or_the_first_block():
    assert slack_receiver.summary({"received_at": "t", "payload": {"text": "a\nb"}}) == "t  a"
    blocks = {"received_at": "t", "payload": {"blocks": [{"text": {"type": "mrkdwn", "text": "hi"}}]}}
    assert slack_receiver.summary(blocks) == "t  hi"


def requests(log: Path) -> list[dict]:
    path = slack_receiver.requests_log(log)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_5xx_fault_path_answers_that_status_and_records_no_message(receiver):
    url, log = receiver
    assert post(url + "/services/_fault/500/T0/B0/x", b'{"text": "backup ok"}') == (500, "internal_error")
    assert post(url + "/services/_fault/503/T0/B0/x", b'{"text": "backup ok"}') == (503, "internal_error")
    assert not log.exists()
    assert [r["status"] for r in requests(log)] == [500, 503]


def test_a_sleep_fault_path_leaves_the_client_without_an_answer(receiver):
    url, log = receiver
    request = urllib.request.Request(url + "/services/_fault/sleep-2/T0/B0/x", data=b'{"text": "x"}', method="POST")
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        urllib.request.urlopen(request, timeout=0.5)
    assert not log.exists()
    assert [r["status"] for r in requests(log)] == [0]


def test_every_post_is_in_the_request_log(receiver):
    url, log = receiver
    post(url + "/services/T0/B0/secret", b'{"text": "backup ok"}')
    post(url + "/services/T0/B0/secret", b"not json")
    assert [(r["path"], r["status"]) for r in requests(log)] == [
        ("/services/T0/B0/secret", 200),
        ("/services/T0/B0/secret", 400),
    ]
