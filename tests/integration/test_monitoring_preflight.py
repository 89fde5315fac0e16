"""Monitoring's bad input caught by the preflight, before Terraform or any host changes."""

from __future__ import annotations

import json

import pytest
from support import run_playbook

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_missing_slack_webhook_fails_the_preflight_in_dev_and_prod(env):
    run = run_playbook("playbooks/preflight.yml", "-i", f"inventories/{env}")
    assert run.returncode != 0
    assert any(
        msg.startswith(f"No Slack webhook for alerts in {env}: set vault_slack_webhook_url")
        for msg in run.failure_messages()
    ), run.failure_messages()


def slack_check(run) -> dict:
    """The Slack webhook check's result in a preflight run."""
    for play in run.report.get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].startswith("Alerts need a Slack webhook"):
                return task["hosts"]["localhost"]
    raise AssertionError("the preflight has no Slack webhook check")


def test_with_a_webhook_from_vault_dev_passes_the_slack_check():
    secrets = {"vault_slack_webhook_url": "https://hooks.slack.com/services/T000/B000/XXXX"}
    run = run_playbook("playbooks/preflight.yml", "-i", "inventories/dev", "-e", json.dumps(secrets))
    assert not slack_check(run).get("failed"), slack_check(run)
    # what may still stop dev here is another phase's check (the Jasypt key), not monitoring's
    assert not any("Slack" in msg for msg in run.failure_messages())


def test_local_defaults_to_the_local_slack_receiver(tmp_path):
    run = run_playbook("playbooks/preflight.yml", "-i", "inventories/local", env={"DAILYGE_STATE_DIR": str(tmp_path)})
    assert run.returncode == 0, run.failure_messages()


def test_a_mistyped_monitoring_variable_fails_the_preflight(tmp_path):
    run = run_playbook(
        "playbooks/preflight.yml",
        "-i",
        "inventories/local",
        "-e",
        "prometheus_ecs_container_port=eighty",
        env={"DAILYGE_STATE_DIR": str(tmp_path)},
    )
    assert run.returncode != 0
    assert any("prometheus_ecs_container_port" in msg and "int" in msg for msg in run.failure_messages())
