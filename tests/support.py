"""Test support: a real emulator on free ports, and running playbooks against it.

Every test that talks to the emulator gets its own moto server on free loopback ports with a
temporary state folder, so tests never touch the developer's `make local` environment (4566).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from emulator import launcher

REPO_ROOT = Path(__file__).resolve().parent.parent
REGION = "ap-northeast-2"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Emulator:
    """A running emulator: its settings, the environment that points tools at it, boto3 clients."""

    settings: launcher.Settings
    env: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return self.settings.endpoint

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def slack_messages(self) -> list[dict[str, Any]]:
        path = self.settings.slack_log
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def slack_texts(self) -> list[str]:
        """The plain-text messages, oldest first: the project's reports (and the Slack Lambda's).

        Alertmanager, which runs on this machine during a converged `local`, posts its alerts as
        attachments at any moment; they are left out, so "the last report" is not an alert that
        happened to arrive after it.
        """
        return [message["payload"]["text"] for message in self.slack_messages() if "text" in message["payload"]]


def start_emulator(state_dir: Path, extra_env: dict[str, str] | None = None) -> Emulator:
    settings = launcher.Settings(free_port(), free_port(), state_dir)
    launcher.start(settings, extra_env)
    env = {
        "DAILYGE_EMULATOR_PORT": str(settings.port),
        "DAILYGE_SLACK_PORT": str(settings.slack_port),
        "DAILYGE_STATE_DIR": str(state_dir),
        # schedules.yml installs the cron jobs under this root, not into the machine's /etc/cron.d
        "DAILYGE_OPS_ROOT": str(state_dir / "ops-root"),
    }
    return Emulator(settings, env)


@dataclass
class PlaybookRun:
    """The outcome of one ansible-playbook run with the JSON callback."""

    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any]

    @property
    def stats(self) -> dict[str, dict[str, int]]:
        return self.report.get("stats", {})

    def total(self, key: str) -> int:
        return sum(host.get(key, 0) for host in self.stats.values())

    @property
    def changed(self) -> int:
        return self.total("changed")

    @property
    def failed(self) -> int:
        return self.total("failures") + self.total("unreachable")

    def changed_tasks(self) -> list[str]:
        """Names of the tasks that reported changed (for assertion messages)."""
        names = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                if any(result.get("changed") for result in task.get("hosts", {}).values()):
                    names.append(task["task"]["name"])
        return names

    def failure_messages(self) -> list[str]:
        messages = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                for result in task.get("hosts", {}).values():
                    if result.get("failed"):
                        messages.append(str(result.get("msg", "")))
                    for item in result.get("results", []) or []:
                        if isinstance(item, dict) and item.get("failed"):
                            messages.append(str(item.get("msg", "")))
        return messages


def ansible_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the Makefile gives Ansible, plus the JSON callback for parsing."""
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
            "ANSIBLE_HOME": str(REPO_ROOT / ".ansible"),
            "XDG_CACHE_HOME": str(REPO_ROOT / ".cache"),
            "PYTHONPATH": str(REPO_ROOT),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.timer",  # profile_tasks would interleave with JSON
            "ANSIBLE_NOCOLOR": "1",
        }
    )
    env.update(extra or {})
    return env


def terraform(env: Emulator, *args: str, root: str = "terraform/envs/local") -> subprocess.CompletedProcess[str]:
    """Run terraform on a root module exactly as roles/terraform does for the emulator `env`."""
    state_dir = env.settings.state_dir
    work = state_dir / "terraform" / "local"
    variables = dict(
        os.environ,
        TF_CLI_CONFIG_FILE=str(state_dir / "terraform" / "terraformrc"),
        TF_DATA_DIR=str(work / ".terraform"),
        TF_IN_AUTOMATION="1",
        AWS_ENDPOINT_URL=env.endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION=REGION,
    )
    command = ["terraform", f"-chdir={REPO_ROOT / root}", *args]
    return subprocess.run(command, env=variables, capture_output=True, text=True, timeout=900, check=False)


# The variables files roles/terraform passes in local, in its order (the later wins): the inventory's,
# the built Lambda packages', the scheduled jobs', then the generated ones that exist
# (inventories/local/group_vars/all/outside_terraform.yml).
LOCAL_VAR_FILES = (
    "inventory.tfvars.json",
    "lambda_packages.tfvars.json",
    "scheduled_jobs.tfvars.json",
    "rds_sync.auto.tfvars.json",
    "loadtest.auto.tfvars.json",
)


def terraform_plan_args(env: Emulator) -> list[str]:
    """The arguments of a plan that sees the same variables as the provision role."""
    work = env.settings.state_dir / "terraform" / "local"
    var_files = [f"-var-file={work / name}" for name in LOCAL_VAR_FILES if (work / name).exists()]
    return ["plan", "-input=false", "-no-color", "-detailed-exitcode", *var_files]


def run_playbook(playbook: str, *args: str, env: dict[str, str] | None = None, timeout: float = 1800) -> PlaybookRun:
    """Run a playbook from the repository root; parse the JSON callback's report."""
    completed = subprocess.run(
        ["ansible-playbook", playbook, *args],
        cwd=REPO_ROOT,
        env=ansible_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    start = completed.stdout.find("{")
    try:
        report = json.JSONDecoder().raw_decode(completed.stdout[start:])[0] if start >= 0 else {}
    except ValueError:
        report = {}
    return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, report)


@dataclass
class LocalStack:
    """A converged local environment: its emulator and the converge run."""

    emulator: Emulator
    converge: PlaybookRun

    def stack(self) -> dict[str, Any]:
        """The `stack` outputs (terraform output -json, values only)."""
        outputs = terraform(self.emulator, "output", "-json")
        assert outputs.returncode == 0, outputs.stderr
        return {name: output["value"] for name, output in json.loads(outputs.stdout).items()}


def without_run_lock(calls: list[Any]) -> dict[str, Any]:
    """The recording summary of `calls` without the run lock's own requests (every ops run reads, takes
    and releases locks/<env>.json in the archive bucket: bookkeeping, not a change to the environment)."""
    from emulator import recording

    return recording.summarise([call for call in calls if "/locks/" not in call.action])
