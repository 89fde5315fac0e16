"""Run an Ansible module's main() in-process (against moto's mock_aws) and count its AWS calls.

`run_module(main, args, check_mode=...)` returns the module's JSON result (exit_json or fail_json);
`ApiCalls` records every botocore operation a module makes, so a test can assert "reads only".
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args
from botocore.client import BaseClient

from emulator.recording import READ_PREFIXES


def run_module(
    main: Callable[[], None], args: dict[str, Any], *, check_mode: bool = False, diff: bool = True
) -> dict[str, Any]:
    """The result of one module run, as Ansible would receive it."""
    stdout = io.StringIO()
    module_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(module_args), contextlib.redirect_stdout(stdout), pytest.raises(SystemExit):
        main()
    return json.loads(stdout.getvalue())


@dataclass
class ApiCalls:
    """Every AWS operation made while installed: (service, operation) in order."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    @property
    def writes(self) -> list[str]:
        return [operation for _, operation in self.calls if not operation.startswith(READ_PREFIXES)]

    @property
    def reads(self) -> list[str]:
        return [operation for _, operation in self.calls if operation.startswith(READ_PREFIXES)]

    def clear(self) -> None:
        self.calls.clear()


@contextlib.contextmanager
def recording_api_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiCalls]:
    """Record every botocore API call (moto's mock answers below this layer)."""
    recorded = ApiCalls()
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        recorded.calls.append((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    yield recorded


def fake_aws_environment(monkeypatch: pytest.MonkeyPatch, region: str = "ap-northeast-2") -> None:
    """Credentials and region for moto; no endpoint override leaking in from the caller's shell."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
