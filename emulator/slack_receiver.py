"""A local stand-in for Slack's incoming webhooks.

Slack is the one external service the `local` environment cannot run, so every webhook of `local`
points here. The receiver answers as Slack does (https://api.slack.com/messaging/webhooks):

* `POST /services/...` with a JSON body holding `text`, `blocks` or `attachments`:
  `200 ok` (text/plain), and the message is appended to a JSON-lines file;
* a body that is not a JSON object: `400 invalid_payload`;
* a JSON object with none of those fields: `400 no_text`;
* any other path: `404 no_service`.

Each recorded line is `{"received_at", "path", "payload"}`; `last_messages()` reads them back.

Every POST, delivered or not, is also appended to the request log `requests.jsonl` beside the
messages (`{"received_at", "path", "status"}`), where a test counts a client's attempts.

Fault injection, for the tests of what a Slack outage does: a webhook path
`/services/_fault/<fault>/...` answers as a broken Slack would, and records no message:

* `<fault>` = a 5xx status (`500`, `503`): that status with `internal_error`;
* `<fault>` = `sleep-<seconds>`: no answer for that long (the client times out), then `200 ok`.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MESSAGE_FIELDS = ("text", "blocks", "attachments")
FAULT_PATH = re.compile(r"^/services/_fault/(?:(?P<status>5\d\d)|sleep-(?P<sleep>\d+(?:\.\d+)?))(?:/|$)")


def requests_log(log_path: Path) -> Path:
    """The request log beside the message log: every POST with the status it got."""
    return log_path.with_name("requests.jsonl")


def classify(body: bytes) -> tuple[int, str, dict[str, Any] | None]:
    """Return Slack's (status, answer, payload) for a webhook request body."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return 400, "invalid_payload", None
    if not isinstance(payload, dict):
        return 400, "invalid_payload", None
    if not any(payload.get(field) for field in MESSAGE_FIELDS):
        return 400, "no_text", None
    return 200, "ok", payload


def make_handler(log_path: Path, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class SlackWebhookHandler(BaseHTTPRequestHandler):
        server_version = "dailyge-slack-receiver"

        def _answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._answer(200, "ok")
            else:
                self._answer(404, "no_service")

        def _log_request(self, status: int) -> None:
            record = {"received_at": datetime.now(UTC).isoformat(timespec="milliseconds"), "path": self.path}
            with lock, requests_log(log_path).open("a", encoding="utf-8") as log:
                log.write(json.dumps(dict(record, status=status)) + "\n")

        def do_POST(self) -> None:
            if not self.path.startswith("/services/"):
                self._log_request(404)
                self._answer(404, "no_service")
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            fault = FAULT_PATH.match(self.path)
            if fault and fault.group("status"):
                self._log_request(int(fault.group("status")))
                self._answer(int(fault.group("status")), "internal_error")
                return
            if fault:
                self._log_request(0)  # 0: the client was left without an answer
                time.sleep(float(fault.group("sleep")))
                with contextlib.suppress(OSError):  # the client has usually hung up by now
                    self._answer(200, "ok")
                return
            status, answer, payload = classify(body)
            self._log_request(status)
            if payload is not None:
                record = {
                    "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "path": self.path,
                    "payload": payload,
                }
                with lock, log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._answer(status, answer)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
            return

    return SlackWebhookHandler


def make_server(host: str, port: int, log_path: Path) -> ThreadingHTTPServer:
    """Create (not start) a receiver bound to host:port that records messages to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return ThreadingHTTPServer((host, port), make_handler(log_path, threading.Lock()))


def last_messages(log_path: Path, count: int = 5) -> list[dict[str, Any]]:
    """Return the last `count` recorded messages, oldest first."""
    if not log_path.exists():
        return []
    lines = log_path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[-count:] if line.strip()] if count > 0 else []


def summary(message: dict[str, Any]) -> str:
    """One line for a recorded message: time, webhook path and its text (or first block's text)."""
    payload = message.get("payload", {})
    text = payload.get("text")
    if not text:
        for block in payload.get("blocks") or payload.get("attachments") or []:
            inner = block.get("text")
            text = inner.get("text") if isinstance(inner, dict) else inner or block.get("fallback")
            if text:
                break
    first_line = str(text or "").strip().splitlines()[0] if text else "(no text)"
    return f"{message.get('received_at', '?')}  {first_line}"
