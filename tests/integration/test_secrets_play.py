"""playbooks/secrets.yml and playbooks/ops/rotate_config_key.yml, run for real against the real emulator.

The emulator (moto's server, tests/conftest.py's `emulator` fixture) runs on free ports with its own state
folder; the secret is created here with boto3 as Terraform creates it (no value yet), and the play gets the
`stack` as extra vars. Output is the default human-readable callback, as an operator would read it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.dailyge.infra.plugins.module_utils import config_tree, jasypt
from support import Emulator

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCAL_KEY = "dailyge-local-only-not-a-secret"
SECRET_NAME = "dailyge/local/app-config"


@dataclass
class Run:
    returncode: int
    output: str

    @property
    def text(self) -> str:
        """The output with every run of blanks and line breaks made one space (the YAML callback wraps lines)."""
        return " ".join(self.output.split())

    @property
    def recap(self) -> str:
        return next(line for line in self.output.splitlines() if line.startswith("localhost") and "ok=" in line)


@pytest.fixture
def secret(emulator: Emulator) -> Iterator[str]:
    client = emulator.client("secretsmanager")
    arn = client.create_secret(Name=SECRET_NAME, Description="created by Terraform")["ARN"]
    yield arn
    client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


@pytest.fixture
def play(emulator: Emulator, tmp_path: Path) -> Any:
    """Run a playbook against inventories/local with the stack given as extra vars."""

    def run(playbook: str, *args: str, env: dict[str, str] | None = None, stack: bool = True) -> Run:
        stack_file = tmp_path / "stack.json"
        stack_file.write_text(json.dumps({"stack": {"app_config_secret_name": SECRET_NAME}}))
        environ = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "AWS_"))}
        environ.pop("ENCRYPTOR_KEY", None)
        environ.update(
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_HOME=str(tmp_path / "ansible-home"),
            ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local-tmp"),
            ANSIBLE_REMOTE_TMP=str(tmp_path / "ansible-remote-tmp"),
            ANSIBLE_NOCOLOR="1",
            XDG_CACHE_HOME=str(tmp_path / "cache"),
            PYTHONPATH=str(REPO),
        )
        environ.update(emulator.env)
        environ.update(env or {})
        extra = ["-e", f"@{stack_file}"] if stack else []
        completed = subprocess.run(
            [str(BIN / "ansible-playbook"), str(REPO / playbook), "-i", str(REPO / "inventories/local"), *extra, *args],
            capture_output=True, text=True, env=environ, cwd=REPO, timeout=300, check=False,
        )  # fmt: skip
        return Run(completed.returncode, completed.stdout + completed.stderr)

    return run


def versions(emulator: Emulator) -> list[str]:
    answer = emulator.client("secretsmanager").list_secret_version_ids(SecretId=SECRET_NAME)
    return sorted(version["VersionId"] for version in answer["Versions"])


def stored(emulator: Emulator) -> dict[str, Any]:
    return json.loads(emulator.client("secretsmanager").get_secret_value(SecretId=SECRET_NAME)["SecretString"])


def expected_secret(config_file: Path, key: str) -> dict[str, Any]:
    tree = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    return config_tree.flatten(config_tree.transform(tree, lambda _path, value: jasypt.decrypt(value, key)))


def random_config(path: Path, key: str, size: int = 0) -> list[str]:
    """A config with random plaintexts (they cannot appear in any output by chance); returns them."""
    plaintexts = [f"plain-{secrets.token_hex(12)}" for _ in range(4)] + [f"유니코드-{secrets.token_hex(8)}-✓"]
    plaintexts += [secrets.token_hex(size // 2)] if size else []
    enc = [jasypt.encrypt_wrapped(plaintext, key) for plaintext in plaintexts]
    document = {
        "server": {"port": 8080},
        "spring": {"datasource": {"password": enc[0], "url": enc[1]}},
        "jwt": {"secret-key": enc[2]},
        "list": [enc[3], {"nested": enc[4]}],
        "blob": enc[5] if size else "small",
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return plaintexts


def files_holding(folders: list[Path], needles: list[str]) -> list[str]:
    found = []
    for folder in folders:
        for file in folder.rglob("*") if folder.exists() else []:
            if file.is_file():
                data = file.read_bytes()
                found += [f"{file}: {needle[:12]}..." for needle in needles if needle.encode() in data]
    return found


def test_local_config_is_synced_once_then_left_alone(play: Any, emulator: Emulator, secret: str) -> None:
    first = play("playbooks/secrets.yml")
    assert first.returncode == 0, first.output
    assert "changed=1" in first.recap
    assert stored(emulator) == expected_secret(REPO / "config/local/application.yml", LOCAL_KEY)
    assert stored(emulator)["spring.datasource.password"] == "local-mysql-pw-3b9d51"
    settled = versions(emulator)
    assert len(settled) == 1

    again = play("playbooks/secrets.yml")
    assert again.returncode == 0 and "changed=0" in again.recap, again.output
    assert versions(emulator) == settled


def test_no_plaintext_in_vvv_output_nor_on_disk(play: Any, emulator: Emulator, secret: str, tmp_path: Path) -> None:
    key = f"key-{secrets.token_hex(10)}"
    config = tmp_path / "application.yml"
    plaintexts = random_config(config, key)
    needles = [*plaintexts, key]
    env = {"ENCRYPTOR_KEY": key}

    check = play("playbooks/secrets.yml", "-vvv", "--check", "--diff", "-e", f"secrets_config_file={config}", env=env)
    assert check.returncode == 0 and "changed=1" in check.recap, check.output
    assert versions(emulator) == []  # check mode put nothing

    run = play("playbooks/secrets.yml", "-vvv", "--diff", "-e", f"secrets_config_file={config}", env=env)
    assert run.returncode == 0 and "changed=1" in run.recap, run.output
    assert stored(emulator) == expected_secret(config, key)
    for output in (check.output, run.output):
        leaked = [needle[:12] for needle in needles if needle in output]
        assert not leaked, f"plaintext or key in the -vvv output: {leaked}"
    assert "spring.datasource.password" in run.output  # the paths are reported
    assert "EXEC /bin/sh -c" in run.output  # -vvv really was verbose
    assert "PUT " not in run.output  # pipelining: no module file was transferred
    written = [tmp_path / "ansible-home", tmp_path / "ansible-local-tmp", tmp_path / "ansible-remote-tmp",
               tmp_path / "cache", REPO / ".ansible" / "facts"]  # fmt: skip
    assert files_holding(written, needles) == []


def test_check_mode_reports_but_puts_nothing(play: Any, emulator: Emulator, secret: str, tmp_path: Path) -> None:
    assert play("playbooks/secrets.yml").returncode == 0
    settled = versions(emulator)
    config = tmp_path / "application.yml"
    shutil.copy(REPO / "config/local/application.yml", config)
    text = config.read_text(encoding="utf-8").replace("port: 8080", "port: 9090")
    config.write_text(text, encoding="utf-8")
    check = play("playbooks/secrets.yml", "--check", "-e", f"secrets_config_file={config}")
    assert check.returncode == 0 and "changed=1" in check.recap, check.output
    assert "server.port" in check.output
    assert versions(emulator) == settled and stored(emulator)["server.port"] == 8080


def test_missing_key_stops_in_preflight_before_any_change(play: Any, emulator: Emulator, secret: str) -> None:
    for playbook in ("playbooks/preflight.yml", "playbooks/secrets.yml"):
        run = play(playbook, "-e", "secrets_encryptor_key=''")
        assert run.returncode != 0
        assert "No Jasypt key for local: export ENCRYPTOR_KEY" in run.text
    assert versions(emulator) == []


def test_wrong_key_names_the_paths_and_changes_nothing(play: Any, emulator: Emulator, secret: str) -> None:
    run = play("playbooks/secrets.yml", env={"ENCRYPTOR_KEY": "not-the-local-key"})
    assert run.returncode != 0
    assert "9 config values failed" in run.text
    assert "spring.datasource.password: does not decrypt with this password and PBEWithMD5AndDES" in run.text
    assert "local-mysql-pw-3b9d51" not in run.output and "Traceback" not in run.output
    assert versions(emulator) == []


def test_placeholder_values_of_dev_config_are_refused(play: Any, emulator: Emulator, secret: str) -> None:
    dev_config = REPO / "config/dev/application.yml"
    run = play("playbooks/secrets.yml", "-e", f"secrets_config_file={dev_config}")
    assert run.returncode != 0 and "spring.datasource.url: the value is not valid base64" in run.text
    assert versions(emulator) == []


def test_config_over_64_kib_is_refused_with_its_size(
    play: Any, emulator: Emulator, secret: str, tmp_path: Path
) -> None:
    key = "size-test-key"
    config = tmp_path / "application.yml"
    random_config(config, key, size=70_000)
    run = play("playbooks/secrets.yml", "-e", f"secrets_config_file={config}", env={"ENCRYPTOR_KEY": key})
    size = len(json.dumps(expected_secret(config, key), separators=(",", ":"), ensure_ascii=False).encode())
    assert run.returncode != 0
    assert f"is {size} bytes as JSON, over the Secrets Manager limit of 65536 bytes" in run.text
    assert versions(emulator) == []


def test_no_secret_name_in_the_stack_stops_the_sync(play: Any, emulator: Emulator, secret: str) -> None:
    run = play("playbooks/secrets.yml", stack=False)
    assert run.returncode != 0 and "The stack has no app_config_secret_name" in run.text
    assert versions(emulator) == []


def test_rotation_reencrypts_and_the_secret_does_not_change(
    play: Any, emulator: Emulator, secret: str, tmp_path: Path
) -> None:
    config_dir = tmp_path / "config-local"
    config_dir.mkdir()
    config = config_dir / "application.yml"
    shutil.copy(REPO / "config/local/application.yml", config)
    before = config.read_text(encoding="utf-8")
    assert play("playbooks/secrets.yml", "-e", f"secrets_config_file={config}").returncode == 0
    settled = versions(emulator)
    new_key = f"new-{secrets.token_hex(8)}"

    rotated = play("playbooks/ops/rotate_config_key.yml", "-e", f"rotate_config_dir={config_dir}",
                   env={"NEW_ENCRYPTOR_KEY": new_key})  # fmt: skip
    assert rotated.returncode == 0 and "changed=1" in rotated.recap, rotated.output
    assert "application.yml: 9 re-encrypted, 0 already under the new key" in rotated.text
    after = config.read_text(encoding="utf-8")
    assert [line for line in after.splitlines() if "ENC(" not in line] == [
        line for line in before.splitlines() if "ENC(" not in line
    ]
    assert expected_secret(config, new_key) == expected_secret(REPO / "config/local/application.yml", LOCAL_KEY)
    assert new_key not in rotated.output

    again = play("playbooks/ops/rotate_config_key.yml", "-e", f"rotate_config_dir={config_dir}",
                 env={"NEW_ENCRYPTOR_KEY": new_key})  # fmt: skip
    assert again.returncode == 0 and "changed=0" in again.recap and config.read_text(encoding="utf-8") == after

    synced = play("playbooks/secrets.yml", "-e", f"secrets_config_file={config}", env={"ENCRYPTOR_KEY": new_key})
    assert synced.returncode == 0 and "changed=0" in synced.recap, synced.output
    assert versions(emulator) == settled


def test_rotation_needs_both_keys(play: Any, tmp_path: Path) -> None:
    run = play("playbooks/ops/rotate_config_key.yml", "-e", f"rotate_config_dir={tmp_path}", stack=False)
    assert run.returncode != 0 and "Key rotation needs the current key" in run.text
