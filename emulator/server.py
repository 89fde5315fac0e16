"""The emulator process: moto's server with the compatibility patches, plus the Slack receiver.

Started in the background by `emulator.launcher`; runs in the foreground with
`python -m emulator.server --port 4566 --slack-port 4567 --state-dir .state`.
It answers `GET /_dailyge/health` with who it is (so the launcher can tell its own emulator from
another program on the port), the patches applied, and an `instance_id` that changes on every
start (an emulator keeps its resources in memory: a new instance means an empty account).
`POST /_dailyge/evaluate-alarms[?now=...]` evaluates the CloudWatch alarms (emulator.alarms).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

HEALTH_PATH = "/_dailyge/health"
SERVICE_NAME = "dailyge-emulator"


def health_middleware(app: Any, health: dict[str, Any]) -> Any:
    """Wrap a WSGI app so that HEALTH_PATH answers with `health` as JSON."""
    body = json.dumps(health).encode()

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)

    return wrapped


def one_request_at_a_time(app: Any) -> Any:
    """Wrap a WSGI app so that it handles one request at a time.

    moto's backends are not thread-safe: two concurrent AuthorizeSecurityGroupIngress calls (Terraform
    creates rules in parallel) can both pass the duplicate check, and a later call then fails with
    InvalidPermission.Duplicate, a failure AWS never gives. The server still accepts connections on
    threads (a slow client does not block the socket), but each request runs alone. A streamed answer is
    drawn to its end inside the lock, so no backend runs while another answer is still being built.
    """
    lock = threading.Lock()

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        with lock:
            answer = app(environ, start_response)
            try:
                return [b"".join(answer)]
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()

    return wrapped


def serve(host: str, port: int, slack_port: int, state_dir: Path) -> None:
    # moto reads these when it loads: set them before importing it.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ["MOTO_PORT"] = str(port)
    os.environ["DAILYGE_STATE_DIR"] = str(state_dir)  # where emulator.alarms unpacks and logs Lambda runs

    from importlib.metadata import version

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    from emulator import alarms, patches, slack_receiver  # alarms registers its SNS -> Lambda patch

    applied = patches.apply_all()
    slack = slack_receiver.make_server(host, slack_port, state_dir / "slack" / "messages.jsonl")
    threading.Thread(target=slack.serve_forever, name="slack-receiver", daemon=True).start()

    health = {
        "service": SERVICE_NAME,
        "instance_id": str(uuid.uuid4()),
        "pid": os.getpid(),
        "moto_version": version("moto"),
        "patches": applied,
        "slack_port": slack_port,
        "recording": bool(os.environ.get("MOTO_ENABLE_RECORDING")),
        "serving": "one_request_at_a_time",
    }
    app = DomainDispatcherApplication(create_backend_app)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    served = health_middleware(one_request_at_a_time(alarms.middleware(app)), health)
    run_simple(host, port, served, threaded=True, use_reloader=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--slack-port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.slack_port, args.state_dir)


if __name__ == "__main__":
    main()
