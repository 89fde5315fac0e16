# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters dailyge.infra.jasypt_encrypt and dailyge.infra.jasypt_decrypt (documented in jasypt_*.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.dailyge.infra.plugins.module_utils import jasypt


def jasypt_encrypt(value: str, password: str, algorithm: str = jasypt.DEFAULT_ALGORITHM, wrap: bool = True) -> str:
    """Encrypt text as Jasypt does; ENC(...) unless wrap=false."""
    try:
        body = jasypt.encrypt(str(value), str(password), algorithm)
    except jasypt.JasyptError as exc:
        raise AnsibleFilterError(f"jasypt_encrypt: {exc}") from None
    return jasypt.wrap(body) if wrap else body


def jasypt_decrypt(value: str, password: str, algorithm: str = jasypt.DEFAULT_ALGORITHM) -> str:
    """Decrypt a Jasypt value, with or without ENC(...)."""
    try:
        return jasypt.decrypt(str(value), str(password), algorithm)
    except jasypt.JasyptError as exc:
        raise AnsibleFilterError(f"jasypt_decrypt: {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, object]:
        return {"jasypt_encrypt": jasypt_encrypt, "jasypt_decrypt": jasypt_decrypt}
