"""The local environment end to end: converge twice against a fresh emulator, then --check.

Between the two converges an image is released (playbooks/release.yml, issue 11): the second run must
change nothing (Ansible changed=0, zero AWS write calls), leave the service on the released image, and
Terraform's plan right after must be empty; a --check run must report changed=0 too. The release owns
the image: an infrastructure deploy never moves it. This module converges twice (about six minutes)
and the tests read those runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import Emulator, PlaybookRun, run_playbook, start_emulator, terraform, terraform_plan_args

from emulator import images, launcher, recording

pytestmark = pytest.mark.integration


@dataclass
class Converged:
    emulator: Emulator
    first: PlaybookRun
    second: PlaybookRun
    second_calls: list[recording.Call]
    state_dir: Path
    released: PlaybookRun
    released_image: str


@pytest.fixture(scope="module")
def converged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converged]:
    state_dir = tmp_path_factory.mktemp("local-state")
    running = start_emulator(state_dir, {"MOTO_ENABLE_RECORDING": "true"})
    try:
        first = run_playbook("site.yml", "-i", "inventories/local", env=running.env)
        assert first.returncode == 0, first.failure_messages() or first.stderr[-3000:]
        released, image = release_an_image(running)
        recording.reset(running.endpoint)
        second = run_playbook("site.yml", "-i", "inventories/local", env=running.env)
        yield Converged(running, first, second, recording.calls(running.endpoint), state_dir, released, image)
    finally:
        launcher.stop(running.settings)


def release_an_image(running: Emulator) -> tuple[PlaybookRun, str]:
    """Push an image into the emulator's ECR and release it (after the backup its acceptance needs)."""
    outputs = json.loads(terraform(running, "output", "-json").stdout)
    repository, url = outputs["ecr_repository_name"]["value"], outputs["ecr_repository_url"]["value"]
    backup = run_playbook("playbooks/ops/backup.yml", "-i", "inventories/local", env=running.env)
    assert backup.returncode == 0, backup.failure_messages()
    digest = images.push_image(images.ecr_client(running.endpoint), repository, "converge-a1b2c3d").digest
    released = run_playbook("playbooks/release.yml", "-i", "inventories/local", "-e", "image_tag=converge-a1b2c3d",
                            env=running.env)  # fmt: skip
    return released, f"{url}:converge-a1b2c3d@{digest}"


def service_image(converged: Converged) -> str:
    outputs = json.loads(terraform(converged.emulator, "output", "-json").stdout)
    ecs = converged.emulator.client("ecs")
    cluster, name = outputs["ecs_cluster_name"]["value"], outputs["ecs_service_name"]["value"]
    arn = ecs.describe_services(cluster=cluster, services=[name])["services"][0]["taskDefinition"]
    [container] = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"]
    return container["image"]


def test_first_converge_creates_the_stack(converged: Converged):
    assert converged.first.changed > 0
    state = json.loads((converged.state_dir / "terraform/local/terraform.tfstate").read_text())
    assert state["resources"], "the local state holds no resources"


def test_second_converge_changes_nothing(converged: Converged):
    assert converged.second.returncode == 0, converged.second.failure_messages()
    assert converged.second.changed == 0, converged.second.changed_tasks()


def test_a_deploy_after_a_release_keeps_the_released_image(converged: Converged):
    assert converged.released.returncode == 0, converged.released.failure_messages()
    assert converged.released.changed > 0
    assert service_image(converged) == converged.released_image


def test_second_converge_makes_no_aws_write_call(converged: Converged):
    summary = recording.summarise(converged.second_calls)
    assert summary["reads"] > 0, "the no-op run read nothing: was the recording on?"
    assert summary["writes"] == 0, summary["write_calls"]


def test_terraform_plan_after_converge_is_empty(converged: Converged):
    plan = terraform(converged.emulator, *terraform_plan_args(converged.emulator))
    assert plan.returncode == 0, plan.stdout[-4000:] + plan.stderr[-2000:]


def test_check_run_after_converge_changes_nothing(converged: Converged):
    checked = run_playbook("site.yml", "-i", "inventories/local", "--check", "--diff", env=converged.emulator.env)
    assert checked.returncode == 0, checked.failure_messages()
    assert checked.changed == 0, checked.changed_tasks()


def test_stack_facts_reach_the_later_phases(converged: Converged):
    handed = [
        result
        for play in converged.second.report["plays"]
        for task in play["tasks"]
        if task["task"]["name"] == "Hand the stack facts to every host of the inventory"
        for result in task["hosts"].values()
    ]
    assert handed, "provision.yml did not hand the stack to the hosts"
    facts = [item["ansible_facts"]["stack"] for item in handed[0]["results"]]
    assert facts, "no host received the stack"
    for stack in facts:
        assert stack["environment"] == "local"
        assert stack["waf_rate_limit"] == 1000
        assert stack["ecs_container_port"] == 8080


def test_deploy_summary_reaches_the_local_slack_receiver(converged: Converged):
    # Alertmanager posts alerts (attachments, no top-level text) to the same receiver, and the backup and the
    # release between the two converges post their own reports: count the deploy summaries only.
    texts = converged.emulator.slack_texts()
    summaries = [text for text in texts if text.startswith("Dailyge local: ") and "resources under Terraform" in text]
    assert len(summaries) == 2, "one summary per converge"
    assert texts[-1] == summaries[-1], "the summary is the last message of a deploy"
    assert sum("Dailyge local release converge-a1b2c3d: SUCCESS" in text for text in texts) == 1
