# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jasypt-compatible password-based encryption, byte-compatible with the Jasypt library (1.9.x / 3.x).

One implementation for the modules, the filters and scripts/jasypt.py:

* ``PBEWithMD5AndDES`` (what the Spring application uses): PBKDF1-MD5 over password + salt, 1000
  iterations; the first 8 bytes of the digest are the DES key, the last 8 the CBC IV. Output:
  base64(salt[8] + ciphertext).
* ``PBEWITHHMACSHA512ANDAES_256`` (Jasypt 3's default): PBKDF2-HMAC-SHA512, 1000 iterations, 32-byte
  key, random IV. Output: base64(salt[16] + iv[16] + ciphertext).

Messages are UTF-8; padding is PKCS#5/7. Java's PBE keys accept printable ASCII passwords only, so
this module refuses any other password rather than produce values Java cannot read. Error messages
never contain the value, the plaintext or the password.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass

try:
    from cryptography.hazmat.primitives import hashes, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, modes
    from cryptography.hazmat.primitives.ciphers.algorithms import AES
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    try:  # cryptography >= 43 keeps DES-family ciphers in the "decrepit" area
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # pragma: no cover - older cryptography
        from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES
except ImportError as exc:  # pragma: no cover - reported by the callers (missing_required_lib)
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: ImportError | None = exc
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

MD5_DES = "PBEWithMD5AndDES"
HMAC_SHA512_AES_256 = "PBEWITHHMACSHA512ANDAES_256"
DEFAULT_ALGORITHM = MD5_DES
ALGORITHMS = (MD5_DES, HMAC_SHA512_AES_256)
ITERATIONS = 1000

_ENC_PATTERN = re.compile(r"^\s*ENC\((?P<body>.*)\)\s*$", re.DOTALL)


class JasyptError(ValueError):
    """A value that cannot be encrypted or decrypted; the message never holds secret material."""


class JasyptFormatError(JasyptError):
    """The value is not a Jasypt ciphertext: malformed base64 or a wrong length."""


class JasyptDecryptionError(JasyptError):
    """The ciphertext is well formed but does not decrypt: wrong password or algorithm."""


class JasyptPasswordError(JasyptError):
    """The password is empty or is not printable ASCII (Java's PBE keys refuse it)."""


@dataclass(frozen=True)
class Scheme:
    name: str
    salt_size: int
    iv_size: int  # 0: the IV is derived from the key material (PBES1)
    block_size: int


SCHEMES = {
    MD5_DES: Scheme(MD5_DES, salt_size=8, iv_size=0, block_size=8),
    HMAC_SHA512_AES_256: Scheme(HMAC_SHA512_AES_256, salt_size=16, iv_size=16, block_size=16),
}


def canonical_algorithm(name: str) -> str:
    """The canonical spelling of a supported algorithm name (Java's names are case-insensitive)."""
    for known in ALGORITHMS:
        if str(name).strip().upper() == known.upper():
            return known
    raise JasyptError(f"unsupported algorithm {name!r}: use one of {', '.join(ALGORITHMS)}")


def is_encrypted(value: object) -> bool:
    """True for a string wrapped as ENC(...), as jasypt-spring-boot detects it (surrounding blanks ignored)."""
    return isinstance(value, str) and _ENC_PATTERN.match(value) is not None


def unwrap(value: str) -> str:
    """The base64 body of ENC(...), or the value itself (stripped) when it has no wrapper."""
    match = _ENC_PATTERN.match(value)
    return (match.group("body") if match else value).strip()


def wrap(body: str) -> str:
    return f"ENC({body})"


def _password_bytes(password: str) -> bytes:
    if not isinstance(password, str) or password == "":
        raise JasyptPasswordError("the encryption password is empty")
    if any(not " " <= char <= "~" for char in password):
        raise JasyptPasswordError(
            "the encryption password must be printable ASCII (Java's PBE keys refuse other characters)"
        )
    return password.encode("ascii")


def _md5_des_key_iv(password: bytes, salt: bytes, iterations: int) -> tuple[bytes, bytes]:
    """PBKDF1 with MD5 (PKCS#5 v1.5, as SunJCE's PBEWithMD5AndDES): key = T[0:8], IV = T[8:16]."""
    digest = password + salt
    for _round in range(iterations):
        digest = hashlib.md5(digest, usedforsecurity=False).digest()
    return digest[:8], digest[8:16]


def _aes_key(password: bytes, salt: bytes, iterations: int) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA512(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(password)


def _cipher(scheme: Scheme, password: bytes, salt: bytes, iv: bytes, iterations: int) -> Cipher:
    if scheme.name == MD5_DES:
        key, derived_iv = _md5_des_key_iv(password, salt, iterations)
        # Single DES is 3DES with the same key three times (K|K|K): EDE collapses to one E.
        return Cipher(TripleDES(key * 3), modes.CBC(derived_iv))
    return Cipher(AES(_aes_key(password, salt, iterations)), modes.CBC(iv))


def _require_cryptography() -> None:
    if not HAS_CRYPTOGRAPHY:
        raise JasyptError(f"the Python package 'cryptography' is required ({CRYPTOGRAPHY_IMPORT_ERROR})")


def encrypt(
    plaintext: str,
    password: str,
    algorithm: str = DEFAULT_ALGORITHM,
    *,
    salt: bytes | None = None,
    iv: bytes | None = None,
    iterations: int = ITERATIONS,
) -> str:
    """Encrypt UTF-8 text as Jasypt does; returns the base64 body (without ENC(...)).

    ``salt`` and ``iv`` are random unless given (tests pass fixed ones to reproduce a vector).
    """
    _require_cryptography()
    if not isinstance(plaintext, str):
        raise JasyptError(f"only text can be encrypted, not {type(plaintext).__name__}")
    scheme = SCHEMES[canonical_algorithm(algorithm)]
    key_material = _password_bytes(password)
    salt = os.urandom(scheme.salt_size) if salt is None else salt
    iv = (os.urandom(scheme.iv_size) if scheme.iv_size else b"") if iv is None else iv
    if len(salt) != scheme.salt_size or len(iv) != scheme.iv_size:
        raise JasyptError(f"{scheme.name} needs a {scheme.salt_size}-byte salt and a {scheme.iv_size}-byte IV")
    padder = padding.PKCS7(scheme.block_size * 8).padder()
    padded = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    encryptor = _cipher(scheme, key_material, salt, iv, iterations).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return base64.b64encode(salt + iv + ciphertext).decode("ascii")


def _decode_body(value: str, scheme: Scheme) -> bytes:
    body = re.sub(r"\s+", "", unwrap(value))
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise JasyptFormatError("the value is not valid base64") from exc
    overhead = scheme.salt_size + scheme.iv_size
    if len(raw) < overhead + scheme.block_size or (len(raw) - overhead) % scheme.block_size:
        iv_part = f" + IV ({scheme.iv_size} bytes)" if scheme.iv_size else ""
        raise JasyptFormatError(
            f"wrong length for {scheme.name}: {len(raw)} bytes, expected salt ({scheme.salt_size} bytes){iv_part}"
            f" + a non-empty multiple of {scheme.block_size} bytes"
        )
    return raw


def decrypt(value: str, password: str, algorithm: str = DEFAULT_ALGORITHM, *, iterations: int = ITERATIONS) -> str:
    """Decrypt a Jasypt value, with or without its ENC(...) wrapper, to UTF-8 text."""
    _require_cryptography()
    if not isinstance(value, str):
        raise JasyptFormatError(f"only text can be decrypted, not {type(value).__name__}")
    scheme = SCHEMES[canonical_algorithm(algorithm)]
    key_material = _password_bytes(password)
    raw = _decode_body(value, scheme)
    salt = raw[: scheme.salt_size]
    iv = raw[scheme.salt_size : scheme.salt_size + scheme.iv_size]
    ciphertext = raw[scheme.salt_size + scheme.iv_size :]
    decryptor = _cipher(scheme, key_material, salt, iv, iterations).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(scheme.block_size * 8).unpadder()
    try:
        data = unpadder.update(padded) + unpadder.finalize()
        return data.decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise JasyptDecryptionError(f"does not decrypt with this password and {scheme.name} (wrong key?)") from exc


def encrypt_wrapped(plaintext: str, password: str, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """encrypt(), returned as ENC(...) the way config files hold it."""
    return wrap(encrypt(plaintext, password, algorithm))
