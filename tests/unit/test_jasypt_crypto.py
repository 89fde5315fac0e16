"""The shared Jasypt implementation (module_utils/jasypt.py): vectors and cross-checks with real Jasypt."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.dailyge.infra.plugins.module_utils import jasypt

ALGORITHMS = [jasypt.MD5_DES, jasypt.HMAC_SHA512_AES_256]
PASSWORD = "cross-check-password-not-a-secret"
SAMPLES = [
    "jdbc:mysql://db.internal:3306/dailyge?serverTimezone=Asia/Seoul",
    "",
    "x",
    "exactly8",  # one full block of padding for DES
    "sixteen-bytes!!!",  # one full block of padding for AES
    "한글 일정 ✓ emoji 🚀 and ünïcödé",
    "line one\nline two\ttab",
    "ENC(not-really)",
    "p" * 300,
]


def test_committed_vectors_made_by_jasypt_decrypt(jasypt_vectors: dict) -> None:
    assert {vector["algorithm"] for vector in jasypt_vectors["vectors"]} == set(ALGORITHMS)
    for vector in jasypt_vectors["vectors"]:
        for value in (vector["ciphertext"], f"ENC({vector['ciphertext']})"):
            assert jasypt.decrypt(value, jasypt_vectors["password"], vector["algorithm"]) == vector["plaintext"]


def test_committed_vectors_fail_with_another_password(jasypt_vectors: dict) -> None:
    failures = 0
    for vector in jasypt_vectors["vectors"]:
        try:
            jasypt.decrypt(vector["ciphertext"], "another-password", vector["algorithm"])
        except jasypt.JasyptDecryptionError:
            failures += 1
    assert failures >= len(jasypt_vectors["vectors"]) - 1  # a wrong key passes padding+UTF-8 ~1/256 of the time


def test_md5_des_layout_is_salt_then_ciphertext_and_deterministic_for_a_salt() -> None:
    """No IV in the output: DES-CBC's IV comes from the PBKDF1-MD5 digest, so salt + password fix the value."""
    salt = bytes(range(8))
    body = jasypt.encrypt("hello", "pw", jasypt.MD5_DES, salt=salt)
    raw = base64.b64decode(body)
    assert raw[:8] == salt and len(raw) == 16
    assert body == jasypt.encrypt("hello", "pw", jasypt.MD5_DES, salt=salt)  # deterministic given the salt


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("plaintext", SAMPLES)
def test_round_trip_keeps_unicode(algorithm: str, plaintext: str) -> None:
    wrapped = jasypt.encrypt_wrapped(plaintext, PASSWORD, algorithm)
    assert jasypt.is_encrypted(wrapped)
    assert jasypt.decrypt(wrapped, PASSWORD, algorithm) == plaintext
    assert jasypt.decrypt(jasypt.unwrap(wrapped), PASSWORD, algorithm) == plaintext


@pytest.mark.parametrize(
    ("algorithm", "overhead", "block"), [(jasypt.MD5_DES, 8, 8), (jasypt.HMAC_SHA512_AES_256, 32, 16)]
)
def test_layout_salt_iv_ciphertext(algorithm: str, overhead: int, block: int) -> None:
    raw = base64.b64decode(jasypt.encrypt("abc", PASSWORD, algorithm))
    assert len(raw) == overhead + block
    assert jasypt.encrypt("abc", PASSWORD, algorithm) != jasypt.encrypt("abc", PASSWORD, algorithm)  # random salt


def test_algorithm_names_are_case_insensitive() -> None:
    value = jasypt.encrypt("v", PASSWORD, "pbewithhmacsha512andaes_256")
    assert jasypt.decrypt(value, PASSWORD, "PBEWithHMACSHA512AndAES_256") == "v"
    with pytest.raises(jasypt.JasyptError, match="unsupported algorithm 'AES'"):
        jasypt.encrypt("v", PASSWORD, "AES")


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("ENC(not base64!)", jasypt.JasyptFormatError, "not valid base64"),
        ("ENC(abc)", jasypt.JasyptFormatError, "not valid base64"),
        ("ENC(YWJjZA==)", jasypt.JasyptFormatError, "wrong length for PBEWithMD5AndDES: 4 bytes"),
        (base64.b64encode(bytes(8)).decode(), jasypt.JasyptFormatError, "non-empty multiple of 8"),
        (base64.b64encode(bytes(20)).decode(), jasypt.JasyptFormatError, "wrong length"),
    ],
)
def test_bad_values_fail_with_a_reason_and_no_value(value: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as caught:
        jasypt.decrypt(value, PASSWORD, jasypt.MD5_DES)
    assert jasypt.unwrap(value) not in str(caught.value)


def test_aes_length_counts_salt_and_iv() -> None:
    with pytest.raises(jasypt.JasyptFormatError, match=r"salt \(16 bytes\) \+ IV \(16 bytes\)"):
        jasypt.decrypt(base64.b64encode(bytes(40)).decode(), PASSWORD, jasypt.HMAC_SHA512_AES_256)


def test_wrong_password_is_a_decryption_error_without_the_plaintext() -> None:
    value = jasypt.encrypt_wrapped("the-plaintext-123", PASSWORD, jasypt.HMAC_SHA512_AES_256)
    with pytest.raises(jasypt.JasyptDecryptionError, match="wrong key") as caught:
        jasypt.decrypt(value, "wrong", jasypt.HMAC_SHA512_AES_256)
    assert "the-plaintext-123" not in str(caught.value) and "wrong" in str(caught.value)


@pytest.mark.parametrize("password", ["", "pässword", "tab\tkey"])
def test_passwords_java_refuses_are_refused(password: str) -> None:
    with pytest.raises(jasypt.JasyptPasswordError):
        jasypt.encrypt("v", password, jasypt.MD5_DES)


def test_enc_detection() -> None:
    assert jasypt.is_encrypted("  ENC(abc)  ")
    assert not jasypt.is_encrypted("ENC(abc")
    assert not jasypt.is_encrypted(42)
    assert jasypt.unwrap(" ENC( abc ) ") == "abc"


# --- cross-checks against the real Jasypt library (Java) ------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_jasypt_decrypts_what_python_encrypts(jasypt_harness, algorithm: str) -> None:
    encrypted = [jasypt.encrypt(sample, PASSWORD, algorithm) for sample in SAMPLES]
    assert jasypt_harness.run("decrypt", algorithm, PASSWORD, encrypted) == SAMPLES


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_python_decrypts_what_jasypt_encrypts(jasypt_harness, algorithm: str) -> None:
    encrypted = jasypt_harness.run("encrypt", algorithm, PASSWORD, SAMPLES)
    assert all(value is not None for value in encrypted)
    assert [jasypt.decrypt(f"ENC({value})", PASSWORD, algorithm) for value in encrypted] == SAMPLES


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_jasypt_refuses_python_values_under_another_password(jasypt_harness, algorithm: str) -> None:
    encrypted = [jasypt.encrypt(sample, PASSWORD, algorithm) for sample in SAMPLES[:4]]
    results = jasypt_harness.run("decrypt", algorithm, "another-password", encrypted)
    assert results.count(None) >= len(encrypted) - 1


def test_cross_checks_say_why_they_skip_without_java(monkeypatch: pytest.MonkeyPatch) -> None:
    import jasypt_java

    monkeypatch.setattr(jasypt_java.shutil, "which", lambda _name: None)
    assert "java/javac not on PATH" in jasypt_java.unavailable_reason()
    monkeypatch.setattr(jasypt_java.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(jasypt_java, "JAR_CANDIDATES", ())
    assert "apt-get install libjasypt-java" in jasypt_java.unavailable_reason()
