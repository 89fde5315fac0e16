"""dailyge.infra.jasypt_config: verify, decrypt, reencrypt; check mode, idempotence, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible_collections.dailyge.infra.plugins.module_utils import jasypt
from ansible_collections.dailyge.infra.plugins.modules import jasypt_config
from module_runner import run_module

KEY = "module-test-key"
NEW_KEY = "module-test-new-key"
AES = jasypt.HMAC_SHA512_AES_256
PLAIN = {
    "spring.datasource.password": "db-pw-5f1c77",
    "spring.datasource.url": "jdbc:mysql://db:3306/dailyge?ünï=✓",
    "servers[1].token": "tok-9a8b7c",
}


def write_config(path: Path, key: str = KEY, algorithm: str = jasypt.MD5_DES, **overrides: str) -> Path:
    values = {name: jasypt.encrypt_wrapped(text, key, algorithm) for name, text in PLAIN.items()} | overrides
    path.write_text(
        "# Dailyge test config: this comment must survive a rotation\n"
        "server:\n"
        "  port: 8080  # plain values stay as they are\n"
        "spring:\n"
        "  datasource:\n"
        f"    password: {values['spring.datasource.password']}\n"
        f'    url: "{values["spring.datasource.url"]}"\n'
        "servers:\n"
        "  - name: first\n"
        f"  - token: {values['servers[1].token']}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "application.yml")


def run(capsys: pytest.CaptureFixture[str], **args: object) -> dict:
    return run_module(jasypt_config, args, capsys)


def assert_no_plaintext(result: dict) -> None:
    for text in [*PLAIN.values(), KEY, NEW_KEY]:
        assert text not in result["_raw"]


def test_verify_reports_paths_only(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, src=str(config), password=KEY)
    assert result["changed"] is False and "config" not in result
    assert result["paths"] == ["spring.datasource.password", "spring.datasource.url", "servers[1].token"]
    assert_no_plaintext(result)


def test_decrypt_requires_a_no_log_task(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, src=str(config), password=KEY, operation="decrypt")
    assert result["failed"] and "set no_log: true on this task" in result["msg"]
    assert_no_plaintext(result)


def test_decrypt_returns_the_tree_and_the_flat_map(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = run(capsys, src=str(config), password=KEY, operation="decrypt", _ansible_no_log=True)["config"]
    assert tree["spring"]["datasource"] == {
        "password": PLAIN["spring.datasource.password"],
        "url": PLAIN["spring.datasource.url"],
    }
    assert tree["servers"] == [{"name": "first"}, {"token": PLAIN["servers[1].token"]}]
    flat = run(capsys, src=str(config), password=KEY, operation="decrypt", flatten=True, _ansible_no_log=True)
    assert flat["config"] == PLAIN | {"server.port": 8080, "servers[0].name": "first"}


def test_decrypt_in_check_mode_still_reads(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, src=str(config), password=KEY, operation="decrypt", flatten=True,
                 _ansible_no_log=True, _ansible_check_mode=True)  # fmt: skip
    assert result["changed"] is False and result["config"]["servers[1].token"] == PLAIN["servers[1].token"]


def test_content_as_mapping_or_yaml_text(capsys: pytest.CaptureFixture[str]) -> None:
    bare = jasypt.encrypt("y-2", KEY, AES)
    data = {"a": {"b": jasypt.encrypt_wrapped("x-1", KEY, AES)}, "c": [1, f"ENC({bare})"]}
    for content in (data, yaml.safe_dump(data)):
        result = run(capsys, content=content, password=KEY, algorithm=AES, operation="decrypt", _ansible_no_log=True)
        assert result["config"] == {"a": {"b": "x-1"}, "c": [1, "y-2"]}
        assert result["paths"] == ["a.b", "c[1]"]


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ("ENC(ENCRYPT-ME)", "not valid base64"),
        ("ENC(YWJjZGVmZ2g=)", "wrong length for PBEWithMD5AndDES: 8 bytes"),
        (jasypt.encrypt_wrapped("other-key-plain-31", "some-other-key"), "wrong key"),
    ],
)
def test_bad_values_fail_naming_the_path_not_the_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, reason: str
) -> None:
    config = write_config(tmp_path / "application.yml", **{"servers[1].token": override})
    result = run(capsys, src=str(config), password=KEY)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{config}: 1 config value failed: servers[1].token: ")
    assert reason in result["msg"]
    assert jasypt.unwrap(override) not in result["_raw"] and "other-key-plain-31" not in result["_raw"]
    assert "exception" not in result  # no traceback
    assert_no_plaintext(result)


def test_wrong_password_names_every_path(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, src=str(config), password="not-the-key")
    assert result["failed"] and "3 config values failed" in result["msg"]
    for path in PLAIN:
        assert f"{path}: does not decrypt with this password" in result["msg"]
    assert_no_plaintext(result)


def test_invalid_yaml_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("a: [1, 2\nb: ENC(x)\n", encoding="utf-8")
    assert "is not valid YAML at line" in run(capsys, src=str(broken), password=KEY)["msg"]
    assert "cannot read" in run(capsys, src=str(tmp_path / "missing.yml"), password=KEY)["msg"]
    listing = tmp_path / "list.yml"
    listing.write_text("- a\n", encoding="utf-8")
    assert "mapping at its top" in run(capsys, src=str(listing), password=KEY)["msg"]


# --- reencrypt (key rotation) -----------------------------------------------------------------------


def rotate(capsys: pytest.CaptureFixture[str], config: Path, **extra: object) -> dict:
    args = {"src": str(config), "operation": "reencrypt", "password": KEY, "new_password": NEW_KEY} | extra
    return run(capsys, **args)


def decrypted_with(config: Path, key: str, algorithm: str = jasypt.MD5_DES) -> dict[str, str]:
    tree = yaml.safe_load(config.read_text(encoding="utf-8"))
    return {
        "spring.datasource.password": jasypt.decrypt(tree["spring"]["datasource"]["password"], key, algorithm),
        "spring.datasource.url": jasypt.decrypt(tree["spring"]["datasource"]["url"], key, algorithm),
        "servers[1].token": jasypt.decrypt(tree["servers"][1]["token"], key, algorithm),
    }


def test_reencrypt_rewrites_values_keeps_layout(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = config.read_text(encoding="utf-8")
    result = rotate(capsys, config, new_algorithm=AES, _ansible_diff=True)
    after = config.read_text(encoding="utf-8")
    assert result["changed"] is True
    assert result["rotated_paths"] == list(PLAIN) and result["current_paths"] == []
    assert decrypted_with(config, NEW_KEY, AES) == PLAIN
    assert [line for line in after.splitlines() if "ENC(" not in line] == [
        line for line in before.splitlines() if "ENC(" not in line
    ]
    assert result["diff"]["before"] == before and result["diff"]["after"] == after
    assert_no_plaintext(result)


def test_reencrypt_check_mode_writes_nothing(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before, stat = config.read_bytes(), config.stat()
    result = rotate(capsys, config, _ansible_check_mode=True)
    assert result["changed"] is True and result["rotated_paths"] == list(PLAIN)
    assert config.read_bytes() == before
    assert (config.stat().st_mtime_ns, config.stat().st_ino) == (stat.st_mtime_ns, stat.st_ino)
    assert [entry.name for entry in config.parent.iterdir()] == ["application.yml"]  # no temp or backup file left


def test_reencrypt_is_idempotent_and_finishes_a_partial_rotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    half = jasypt.encrypt_wrapped(PLAIN["servers[1].token"], NEW_KEY)
    config = write_config(tmp_path / "application.yml", **{"servers[1].token": half})
    first = rotate(capsys, config)
    assert first["changed"] is True
    assert first["rotated_paths"] == ["spring.datasource.password", "spring.datasource.url"]
    assert first["current_paths"] == ["servers[1].token"]
    assert half in config.read_text(encoding="utf-8")  # left alone
    settled = config.read_bytes()
    second = rotate(capsys, config)
    assert second["changed"] is False and second["rotated_paths"] == [] and len(second["current_paths"]) == 3
    assert config.read_bytes() == settled
    assert decrypted_with(config, NEW_KEY) == PLAIN


def test_reencrypt_with_a_bad_value_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "application.yml", **{"spring.datasource.url": "ENC(YWJjZA==)"})
    before = config.read_bytes()
    result = rotate(capsys, config)
    assert result["failed"] and "spring.datasource.url: wrong length" in result["msg"]
    assert config.read_bytes() == before


def test_reencrypt_content_and_backup(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {"k": jasypt.encrypt_wrapped("v-1", KEY)}
    result = run(capsys, content=data, operation="reencrypt", password=KEY, new_password=NEW_KEY)
    assert result["changed"] and jasypt.decrypt(result["content"]["k"], NEW_KEY) == "v-1"
    backed = rotate(capsys, config, backup=True)
    assert Path(backed["backup_file"]).read_text(encoding="utf-8").count("ENC(") == 3
    assert decrypted_with(Path(backed["backup_file"]), KEY) == PLAIN


def test_reencrypt_refuses_the_same_key_and_needs_a_new_one(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "nothing to rotate" in rotate(capsys, config, new_password=KEY)["msg"]
    missing = run(capsys, src=str(config), operation="reencrypt", password=KEY)
    assert missing["failed"] and "new_password" in missing["msg"]
