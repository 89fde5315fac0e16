"""Bad input and broken surroundings: one clear line saying what to do, and nothing changed."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from support import REPO_ROOT, ansible_env, free_port, run_playbook, start_emulator

from emulator import launcher

pytestmark = pytest.mark.integration

# playbooks/preflight.yml: is the inventory ours (dailyge_env), then every variable against its role's spec.
PREFLIGHT_PLAYS = ["Preflight | The inventory is a Dailyge environment", "Preflight"]


def state_file(state_dir: Path) -> Path:
    return state_dir / "terraform" / "local" / "terraform.tfstate"


def test_a_mistyped_inventory_variable_fails_the_preflight(emulator):
    run = run_playbook("site.yml", "-i", "inventories/local", "-e", "terraform_apply=maybe", env=emulator.env)
    assert run.returncode != 0
    assert any("'terraform_apply' is of type str" in msg and "bool" in msg for msg in run.failure_messages())
    assert [play["play"]["name"] for play in run.report["plays"]] == PREFLIGHT_PLAYS, "nothing after the preflight ran"
    assert not state_file(emulator.settings.state_dir).exists()


def test_a_wrong_type_inside_terraform_vars_fails_the_preflight(emulator):
    run = run_playbook(
        "site.yml", "-i", "inventories/local", "-e", '{"terraform_vars": {"waf_rate_limit": "lots"}}', env=emulator.env
    )
    assert run.returncode != 0
    messages = " ".join(run.failure_messages())
    assert "waf_rate_limit" in messages and "int" in messages
    assert [play["play"]["name"] for play in run.report["plays"]] == PREFLIGHT_PLAYS


def test_no_terraform_on_path_is_one_clear_line(emulator):
    run = run_playbook(
        "site.yml", "-i", "inventories/local", "-e", "terraform_binary=/nonexistent/terraform", env=emulator.env
    )
    assert run.returncode != 0
    messages = run.failure_messages()
    assert any(msg.startswith("Terraform CLI '/nonexistent/terraform' was not found") for msg in messages), messages
    assert not state_file(emulator.settings.state_dir).exists()


def test_an_emulator_that_is_not_running_is_one_clear_line(tmp_path: Path):
    env = {
        "DAILYGE_EMULATOR_PORT": str(free_port()),
        "DAILYGE_SLACK_PORT": str(free_port()),
        "DAILYGE_STATE_DIR": str(tmp_path),
    }
    run = run_playbook("site.yml", "-i", "inventories/local", env=env)
    assert run.returncode != 0
    assert any("The embedded AWS does not answer" in msg and "make local" in msg for msg in run.failure_messages())
    assert not state_file(tmp_path).exists()


def test_an_emulator_that_dies_mid_run_is_one_clear_line(tmp_path: Path):
    running = start_emulator(tmp_path)
    command = ["ansible-playbook", "site.yml", "-i", "inventories/local"]
    env = ansible_env(running.env)
    with subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as run:
        plan = tmp_path / "terraform" / "local" / "tfplan"
        deadline = time.monotonic() + 600
        while not plan.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        launcher.stop(running.settings)
        stdout, _ = run.communicate(timeout=900)
    assert run.returncode != 0
    assert "stopped answering during terraform apply" in stdout, stdout[-3000:]
    assert "make local" in stdout
