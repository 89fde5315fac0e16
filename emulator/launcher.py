"""Start, stop and inspect the embedded AWS emulator (and its Slack receiver) idempotently.

    python -m emulator start           # start, or reuse the one already running
    python -m emulator stop            # stop it (no-op when it is not running)
    python -m emulator status          # exit 0 when up, 3 when down
    python -m emulator slack-messages  # the last messages the local Slack receiver recorded
    python -m emulator evaluate-alarms [--at 2026-12-04T00:00:00Z]  # CloudWatch alarms evaluated now (emulator.alarms)
    python -m emulator push-image --repository R --tag T [--failing]  # an image into ECR (emulator.images)

Settings come from the environment: DAILYGE_EMULATOR_PORT (4566), DAILYGE_SLACK_PORT (4567),
DAILYGE_STATE_DIR (<repo>/.state). MOTO_ENABLE_RECORDING=true is passed through to moto so that
benchmarks can count API calls. Every failure is one line on stderr saying what to do.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.alarms import EVALUATE_PATH
from emulator.server import HEALTH_PATH, SERVICE_NAME

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


class EmulatorError(Exception):
    """A failure the user can act on; its message is the one line printed."""


@dataclass(frozen=True)
class Settings:
    port: int
    slack_port: int
    state_dir: Path

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        try:
            port = int(env.get("DAILYGE_EMULATOR_PORT", "4566"))
            slack_port = int(env.get("DAILYGE_SLACK_PORT", "4567"))
        except ValueError as exc:
            raise EmulatorError(f"DAILYGE_EMULATOR_PORT and DAILYGE_SLACK_PORT must be port numbers ({exc})") from exc
        state_dir = Path(env.get("DAILYGE_STATE_DIR", REPO_ROOT / ".state")).resolve()
        return cls(port, slack_port, state_dir)

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "emulator" / "emulator.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "emulator" / "emulator.log"

    @property
    def recording_file(self) -> Path:
        """Where moto records requests when started with MOTO_ENABLE_RECORDING=true."""
        return self.state_dir / "emulator" / "recording.jsonl"

    @property
    def slack_log(self) -> Path:
        return self.state_dir / "slack" / "messages.jsonl"


def health(settings: Settings, timeout: float = 2.0) -> dict[str, Any] | None:
    """The emulator's health answer, or None when nothing of ours answers on the port."""
    try:
        with urllib.request.urlopen(settings.endpoint + HEALTH_PATH, timeout=timeout) as answer:
            data = json.loads(answer.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("service") == SERVICE_NAME else None


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((HOST, port)) == 0


def read_pid(settings: Settings) -> int | None:
    try:
        pid = int(settings.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    """True while the process runs; reaps it first when it is our own exited child (a zombie)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: the launcher that started it has exited
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(settings: Settings, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Start the emulator (with `extra_env` added to its environment), or reuse the one running."""
    running = health(settings)
    if running is not None:
        settings.pid_file.parent.mkdir(parents=True, exist_ok=True)
        settings.pid_file.write_text(f"{running['pid']}\n")
        return running | {"reused": True}
    for port, what in ((settings.port, "DAILYGE_EMULATOR_PORT"), (settings.slack_port, "DAILYGE_SLACK_PORT")):
        if port_in_use(port):
            raise EmulatorError(
                f"port {port} on {HOST} is held by another program, not the dailyge emulator: "
                f"stop that program or choose another port with {what}=<port>"
            )
    settings.pid_file.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, **(extra_env or {}))
    env.update(
        MOTO_IAM_LOAD_MANAGED_POLICIES="true",
        # ACM certificates stay PENDING_VALIDATION this many seconds after their DNS records exist
        # (moto's default 60 s makes every cold apply wait a minute for aws_acm_certificate_validation).
        MOTO_ACM_VALIDATION_WAIT=env.get("MOTO_ACM_VALIDATION_WAIT", "2"),
        MOTO_RECORDER_FILEPATH=str(settings.recording_file),
        PYTHONPATH=str(REPO_ROOT),
    )
    command = [
        sys.executable, "-m", "emulator.server",
        "--port", str(settings.port),
        "--slack-port", str(settings.slack_port),
        "--state-dir", str(settings.state_dir),
    ]  # fmt: skip
    with settings.log_file.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(f"the emulator exited at start (code {process.returncode}); see {settings.log_file}")
        answer = health(settings, timeout=1.0)
        if answer is not None:
            settings.pid_file.write_text(f"{process.pid}\n")
            return answer | {"reused": False}
        time.sleep(0.2)
    process.terminate()
    raise EmulatorError(f"the emulator did not answer within {START_TIMEOUT_S:.0f} s; see {settings.log_file}")


def stop(settings: Settings) -> bool:
    """Stop the emulator; return False when it was not running."""
    pid = read_pid(settings)
    if pid is None:
        answer = health(settings)
        pid = answer["pid"] if answer else None
    if pid is None:
        settings.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    settings.pid_file.unlink(missing_ok=True)
    return True


def evaluate_alarms(settings: Settings, at: str = "", timeout: float = 30.0) -> dict[str, Any]:
    """Ask the running emulator to evaluate its CloudWatch alarms (at `at`, default now)."""
    query = f"?{urllib.parse.urlencode({'now': at})}" if at else ""
    request = urllib.request.Request(settings.endpoint + EVALUATE_PATH + query, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
        raise EmulatorError(f"the emulator refused the evaluation: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise EmulatorError(f"the emulator does not answer on {settings.endpoint}: start it with make local") from exc
