"""scripts/jasypt.py: result alone on stdout, password from the environment only, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.dailyge.infra.plugins.module_utils import jasypt

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "jasypt.py"
KEY = "cli-test-key"


def cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key != "ENCRYPTOR_KEY"}
    environ.update(env if env is not None else {"ENCRYPTOR_KEY": KEY})
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], input=stdin, capture_output=True, env=environ, timeout=60, check=False
    )


@pytest.mark.parametrize("algorithm", ["PBEWithMD5AndDES", "pbewithhmacsha512andaes_256"])
def test_encrypt_prints_enc_and_decrypt_prints_the_plaintext(algorithm: str) -> None:
    encrypted = cli("encrypt", "--algorithm", algorithm, "일정 ✓ plan")
    assert encrypted.returncode == 0 and encrypted.stderr == b""
    value = encrypted.stdout.decode().removesuffix("\n")
    assert value.startswith("ENC(") and "\n" not in value
    assert jasypt.decrypt(value, KEY, algorithm) == "일정 ✓ plan"
    decrypted = cli("decrypt", "--algorithm", algorithm, value)
    assert (decrypted.returncode, decrypted.stdout, decrypted.stderr) == (0, "일정 ✓ plan\n".encode(), b"")


def test_decrypts_a_jasypt_vector_without_the_wrapper(jasypt_vectors: dict) -> None:
    vector = jasypt_vectors["vectors"][3]
    done = cli("decrypt", "--algorithm", vector["algorithm"], vector["ciphertext"],
               env={"ENCRYPTOR_KEY": jasypt_vectors["password"]})  # fmt: skip
    assert done.stdout.decode() == vector["plaintext"] + "\n"


def test_value_from_stdin_and_password_from_another_variable() -> None:
    done = cli("encrypt", "--algorithm", "PBEWithMD5AndDES", "--password-env", "MY_KEY", "-",
               env={"MY_KEY": "other"}, stdin="from stdin ✓\n".encode())  # fmt: skip
    assert done.returncode == 0
    assert jasypt.decrypt(done.stdout.decode().strip(), "other") == "from stdin ✓"


def test_missing_password_is_one_line_on_stderr() -> None:
    done = cli("encrypt", "--algorithm", "PBEWithMD5AndDES", "v", env={})
    assert done.returncode == 1 and done.stdout == b""
    assert done.stderr.decode().count("\n") == 1 and "ENCRYPTOR_KEY is not set" in done.stderr.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ENC(@@@)", "not valid base64"),
        ("ENC(YWJjZA==)", "wrong length"),
        (jasypt.encrypt_wrapped("secret-plain-42", "another-key"), "wrong key"),
    ],
)
def test_bad_values_exit_non_zero_with_one_line_and_no_traceback(value: str, message: str) -> None:
    done = cli("decrypt", "--algorithm", "PBEWithMD5AndDES", value)
    err = done.stderr.decode()
    assert done.returncode == 1 and done.stdout == b""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err and "secret-plain-42" not in err


def test_password_cannot_come_from_argv() -> None:
    done = cli("encrypt", "--algorithm", "PBEWithMD5AndDES", "--password", "x", "v")
    assert done.returncode == 2 and b"unrecognized arguments" in done.stderr


def test_unknown_algorithm_and_non_utf8_value_fail_cleanly() -> None:
    assert b"unsupported algorithm" in cli("encrypt", "--algorithm", "DES", "v").stderr
    done = cli("encrypt", "--algorithm", "PBEWithMD5AndDES", "-", stdin=b"\xff\xfe")
    assert done.returncode == 1 and done.stderr == b"jasypt.py: the value is not UTF-8 text\n"
