"""Every command the README shows, run as written against the converged local stack (issue 14, defect 5).

The commands are read from the README itself (its ```sh blocks and inline `ansible-playbook ...`), so a
command added there is run here too. As written means: the same playbook and options; the inventory is
inventories/local (the only one this machine can reach: `<env>`, `dev` and `prod` become `local`), an
optional `[...]` part is run both without and with it, and `--ask-vault-pass` is left out (local has
no vault). The `make` targets that would replace the session's stack are listed in NOT_RUN with the
test that covers them; any other command found must run and exit 0.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO_ROOT, LocalStack, ansible_env, run_playbook

pytestmark = pytest.mark.integration

README = REPO_ROOT / "README.md"
LOCAL_KEY = "dailyge-local-only-not-a-secret"  # inventories/local/group_vars/all/secrets.yml
NEW_KEY = "dailyge-local-rotated-in-the-readme-test"

# Commands not run here, and why (each is run elsewhere or would stop what the other tests use).
NOT_RUN = {
    "make local": "the session's converge (conftest local_stack); its ansible-playbook site.yml is run below",
    "make test": "the whole suite, of which this test is part",
    "make pytest": "the unit and integration tests, of which this test is part",
    "make down": "would stop the emulator of the session's stack (tests/unit/test_emulator_launcher.py)",
    "make checkov": "its own virtualenv and every module: a CI job of its own (.github/workflows)",
    "make bench": "a cold converge on a fresh emulator of its own: minutes, a benchmark, not a check",
    "make graph": "rewrites the committed docs/graph.png (tests/unit/test_graph.py covers the script)",
    # Run exactly as written by another test of the same session: minutes each, not run twice.
    "ansible-playbook site.yml -i inventories/local": "conftest's local_stack and test_local_converge (twice)",
    "ansible-playbook site.yml -i inventories/local --check --diff": "test_local_converge: the check run",
    "ansible-playbook playbooks/ops/loadtest.yml -i inventories/local -e mode=on": "test_loadtest_play",
    "ansible-playbook playbooks/ops/loadtest.yml -i inventories/local -e mode=off": "test_loadtest_play",
    # Releases need an image pushed first and change the session's service: run as written, with pushed
    # tags in place of <tag>, by test_release_play (which also pushes with the README's push-image).
    "ansible-playbook playbooks/release.yml -i inventories/local -e image_tag=<tag>": "test_release_play",
    "ansible-playbook playbooks/release.yml -i inventories/local -e rollback=true": "test_release_play",
    "python -m emulator push-image": "test_release_play, with the README's --repository and --tag",
}


def readme_commands() -> list[str]:
    """The commands of the README, in order, continuation lines joined, comments and prompts removed."""
    text = README.read_text(encoding="utf-8")
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    commands += re.findall(r"`((?:[A-Z_]+=\S+ )*ansible-playbook [^`]+)`", text)
    commands += [f"make {target}" for target in re.findall(r"`make (\w+)`", text)]
    commands += re.findall(r"`(python -m emulator [\w-]+)`", text)
    return commands


def as_run_here(command: str) -> list[str]:
    """The command(s) to run for one README command: local inventory, optional parts both ways."""
    command = " ".join(command.split())
    command = re.sub(r"inventories/(<env>|dev|prod)(?=\s|$)", "inventories/local", command)
    command = command.replace(" --ask-vault-pass", "")
    if command.startswith("ansible-playbook ") and " -i " not in command:
        command = command.replace(".yml", ".yml -i inventories/local", 1)  # ansible.cfg's default inventory
    optional = re.search(r"\s*\[([^\]]+)\]", command)
    if optional:
        without = (command[: optional.start()] + command[optional.end() :]).strip()
        with_it = (command[: optional.start()] + " " + optional.group(1) + command[optional.end() :]).strip()
        return [without, with_it]
    return [command]


def planned() -> list[str]:
    runs: list[str] = []
    for command in readme_commands():
        for variant in as_run_here(command):
            if variant not in runs and variant not in NOT_RUN:
                runs.append(variant)
    return runs


PLANNED = planned()


def test_the_readme_shows_commands_and_every_one_is_run_or_explained():
    found = {variant for command in readme_commands() for variant in as_run_here(command)}
    assert {"make local", "make test"} <= found
    assert set(NOT_RUN) <= found, "NOT_RUN names a command the README no longer shows"
    assert len([c for c in PLANNED if "ansible-playbook" in c]) >= 12


@pytest.fixture(scope="module")
def config_backup() -> Iterator[None]:
    """The key rotation rewrites config/local/*.yml: put the files back afterwards."""
    config = REPO_ROOT / "config" / "local"
    saved = {path: path.read_bytes() for path in config.rglob("*.y*ml")}
    yield
    for path, content in saved.items():
        path.write_bytes(content)


@pytest.fixture(scope="module", autouse=True)
def leave_the_stack_as_found(local_stack: LocalStack) -> Iterator[None]:
    """The README's backup makes today's daily snapshot: delete it again at the end."""
    yield
    rds = local_stack.emulator.client("rds")
    for snapshot in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]:
        if "-daily-" in snapshot["DBSnapshotIdentifier"]:
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


def environment_for(command: str, rotated: list[bool]) -> tuple[list[str], dict[str, str]]:
    words = shlex.split(command)
    env: dict[str, str] = {}
    while words and re.match(r"^[A-Z_]+=", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = {"<current>": LOCAL_KEY, "<new>": NEW_KEY}.get(value, value)
    if "rotate_config_key.yml" in command:
        rotated.append(True)
    elif rotated and "ENCRYPTOR_KEY" not in env:
        env["ENCRYPTOR_KEY"] = NEW_KEY  # "store the new key everywhere the old one was", then run the rest
    return words, env


ROTATED: list[bool] = []


@pytest.mark.parametrize("command", PLANNED)
def test_readme_command_runs_as_written(local_stack: LocalStack, config_backup, command: str):
    words, extra = environment_for(command, ROTATED)
    env = dict(local_stack.emulator.env, **extra)
    if words[0] == "ansible-playbook":
        run = run_playbook(words[1], *words[2:], env=env)
        assert run.returncode == 0, f"{command}: {run.failure_messages() or run.stderr[-3000:]}"
        return
    completed = subprocess.run(
        [shutil.which(words[0]) or words[0], *words[1:]],
        cwd=REPO_ROOT,
        env=ansible_env({**env, "PATH": os.environ["PATH"]}),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, f"{command}: {completed.stdout[-2000:]}{completed.stderr[-2000:]}"


def test_the_plan_covers_the_key_rotation_and_the_secrets_step():
    assert any("rotate_config_key.yml" in c for c in PLANNED)
    assert "ansible-playbook playbooks/secrets.yml -i inventories/local" in PLANNED
    assert Path(REPO_ROOT / "config" / "local").is_dir()
