"""Filters dailyge.infra.jasypt_encrypt / jasypt_decrypt: directly, and through a real Ansible run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.dailyge.infra.plugins.filter.jasypt import FilterModule
from ansible_collections.dailyge.infra.plugins.module_utils import jasypt

REPO = Path(__file__).resolve().parents[2]
FILTERS = FilterModule().filters()
KEY = "filter-test-key"


@pytest.mark.parametrize("algorithm", jasypt.ALGORITHMS)
def test_encrypt_then_decrypt(algorithm: str) -> None:
    encrypted = FILTERS["jasypt_encrypt"]("비밀 ✓", KEY, algorithm=algorithm)
    assert encrypted.startswith("ENC(") and encrypted.endswith(")")
    assert FILTERS["jasypt_decrypt"](encrypted, KEY, algorithm=algorithm) == "비밀 ✓"
    bare = FILTERS["jasypt_encrypt"]("v", KEY, algorithm, wrap=False)
    assert not bare.startswith("ENC(") and FILTERS["jasypt_decrypt"](bare, KEY, algorithm) == "v"


def test_decrypts_a_value_made_by_jasypt(jasypt_vectors: dict) -> None:
    vector = jasypt_vectors["vectors"][0]
    assert (
        FILTERS["jasypt_decrypt"](vector["ciphertext"], jasypt_vectors["password"], vector["algorithm"])
        == (vector["plaintext"])
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [("ENC(%%%)", "not valid base64"), ("ENC(YWJjZA==)", "wrong length"), (None, "does not decrypt")],
)
def test_decrypt_errors_are_filter_errors_without_the_value(value: str | None, message: str) -> None:
    value = value or jasypt.encrypt_wrapped("hidden-plaintext-77", "other-key")
    with pytest.raises(AnsibleFilterError, match=message) as caught:
        FILTERS["jasypt_decrypt"](value, KEY)
    assert "hidden-plaintext-77" not in str(caught.value)
    assert "jasypt_decrypt:" in str(caught.value)


def test_encrypt_refuses_an_unknown_algorithm() -> None:
    with pytest.raises(AnsibleFilterError, match="unsupported algorithm"):
        FILTERS["jasypt_encrypt"]("v", KEY, algorithm="PBEWithSHA1AndRC4")


def test_filters_work_by_fqcn_in_a_real_ansible_run(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_HOME=str(tmp_path / "ansible"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        FILTER_KEY=KEY,
    )
    options = "lookup('env', 'FILTER_KEY'), algorithm='PBEWITHHMACSHA512ANDAES_256'"
    expression = (
        f"{{{{ 'héllo ✓' | dailyge.infra.jasypt_encrypt({options}) | dailyge.infra.jasypt_decrypt({options}) }}}}"
    )
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible"), "localhost", "-c", "local",
         "-m", "ansible.builtin.debug", "-a", f"msg={expression}"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "msg: héllo ✓" in completed.stdout
