"""A deploy aimed at a wrong inventory fails before anything runs (issue 14, defect 4).

`ansible-playbook site.yml -i inventories/staging` used to exit 0 after warnings: no such folder, so
Ansible ran with an empty inventory and every play matched no host. ansible.cfg now makes an
unparsable source fatal (unparsed_is_failed), and playbooks/preflight.yml stops an inventory that
parses but is not a Dailyge environment (no dailyge_env). Neither needs an emulator: both stop first.
"""

from __future__ import annotations

import pytest
from support import REPO_ROOT, run_playbook

pytestmark = pytest.mark.integration


def test_a_mistyped_inventory_path_fails_the_deploy():
    run = run_playbook("site.yml", "-i", "inventories/staging")
    assert run.returncode != 0
    assert f"Unable to parse {REPO_ROOT}/inventories/staging as an inventory source" in run.stderr
    assert run.report.get("plays", []) == []  # not one task ran


def test_an_inventory_without_dailyge_env_is_refused_in_one_line(tmp_path):
    (tmp_path / "hosts.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    run = run_playbook("site.yml", "-i", str(tmp_path))
    assert run.returncode != 0
    [message] = run.failure_messages()
    assert message == (
        f"{tmp_path} is not a Dailyge inventory (dailyge_env is not defined): use -i inventories/local, "
        "inventories/dev or inventories/prod. Nothing was changed."
    )
    assert [play["play"]["name"] for play in run.report["plays"]] == [
        "Preflight | The inventory is a Dailyge environment"
    ]


def test_an_inventory_without_hosts_is_refused_too(tmp_path):
    (tmp_path / "hosts.yml").write_text("all:\n  children:\n    controller: {}\n")
    run = run_playbook("site.yml", "-i", str(tmp_path))
    assert run.returncode != 0
    assert any("is not a Dailyge inventory" in message for message in run.failure_messages())
