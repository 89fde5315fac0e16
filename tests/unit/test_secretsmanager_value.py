"""dailyge.infra.secretsmanager_value against moto (in-process) and botocore's Stubber for faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.dailyge.infra.plugins.modules import secretsmanager_value
from botocore.stub import Stubber
from module_runner import run_module
from moto import mock_aws

NAME = "dailyge/test/app-config"
CONFIG = {"spring.datasource.password": "pw-unit-8c1d", "server.port": 8080, "scope[0]": "profile"}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_REGION", "ap-northeast-2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="ap-northeast-2")
        client.create_secret(Name=NAME, Description="created by Terraform")  # no value yet, as Terraform leaves it
        yield client


def versions(client: Any) -> list[str]:
    return [version["VersionId"] for version in client.list_secret_version_ids(SecretId=NAME)["Versions"]]


def sync(capsys: pytest.CaptureFixture[str], value: Any, **extra: Any) -> dict[str, Any]:
    return run_module(secretsmanager_value, {"secret_id": NAME, "value": value} | extra, capsys)


def stored(client: Any) -> dict[str, Any]:
    return json.loads(client.get_secret_value(SecretId=NAME)["SecretString"])


def test_first_sync_puts_the_value(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = sync(capsys, json.dumps(CONFIG))
    assert result["changed"] is True and result["name"] == NAME and result["arn"].startswith("arn:aws:secretsmanager")
    assert stored(aws) == CONFIG and versions(aws) == [result["version_id"]]
    assert result["changed_paths"] == {"added": sorted(CONFIG), "changed": [], "removed": []}
    assert "pw-unit-8c1d" not in result["_raw"]
    assert aws.describe_secret(SecretId=NAME)["Description"] == "created by Terraform"  # left as Terraform set it


def test_unchanged_value_creates_no_version(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    first = sync(capsys, json.dumps(CONFIG))
    reordered = json.dumps(dict(reversed(list(CONFIG.items()))), indent=2)  # same object, other text
    second = sync(capsys, reordered)
    assert second["changed"] is False and second["version_id"] == first["version_id"]
    assert versions(aws) == [first["version_id"]]


def test_check_mode_puts_nothing_and_diff_hides_values(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    first = sync(capsys, json.dumps(CONFIG))
    new = CONFIG | {"spring.datasource.password": "pw-unit-new-77aa", "jwt.secret": "jwt-unit-1f"}
    del new["scope[0]"]
    result = sync(capsys, json.dumps(new), _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and result["version_id"] is None
    assert result["changed_paths"] == {
        "added": ["jwt.secret"],
        "changed": ["spring.datasource.password"],
        "removed": ["scope[0]"],
    }
    assert result["diff"]["after"]["spring.datasource.password"] == "(hidden) changed"
    assert result["diff"]["after"]["jwt.secret"] == "(hidden) added"
    assert "scope[0]" in result["diff"]["before"] and "scope[0]" not in result["diff"]["after"]
    for text in ("pw-unit-8c1d", "pw-unit-new-77aa", "jwt-unit-1f", "profile"):
        assert text not in json.dumps(result["diff"])
    assert versions(aws) == [first["version_id"]] and stored(aws) == CONFIG


def test_changed_value_puts_one_new_version(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    first = sync(capsys, json.dumps(CONFIG))
    result = sync(capsys, json.dumps(CONFIG | {"server.port": 9090}))
    assert result["changed"] is True and result["changed_paths"]["changed"] == ["server.port"]
    assert result["version_id"] != first["version_id"] and len(versions(aws)) == 2
    assert stored(aws)["server.port"] == 9090


def test_non_json_current_value_is_replaced(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    aws.put_secret_value(SecretId=NAME, SecretString="not json")
    result = sync(capsys, CONFIG)  # a mapping works too
    assert result["changed"] is True and stored(aws) == CONFIG


def test_value_over_64_kib_is_refused_with_its_size(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    big = {"blob": "x" * 65600}
    result = sync(capsys, json.dumps(big))
    size = len(json.dumps(big, separators=(",", ":")).encode())
    assert result["failed"]
    assert f"is {size} bytes as JSON, over the Secrets Manager limit of 65536 bytes" in result["msg"]
    assert versions(aws) == []


def test_bad_input_and_missing_or_deleted_secret(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert "must be a JSON object" in sync(capsys, "[1, 2]")["msg"]
    missing = run_module(secretsmanager_value, {"secret_id": "nope", "value": "{}"}, capsys)
    assert missing["failed"] and "secret nope does not exist: Terraform creates it" in missing["msg"]
    aws.delete_secret(SecretId=NAME, RecoveryWindowInDays=7)
    assert "scheduled for deletion" in sync(capsys, "{}")["msg"]


def test_aws_error_fails_cleanly_without_the_value(
    aws: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.client("secretsmanager", region_name="ap-northeast-2")
    stubber = Stubber(client)
    stubber.add_response("describe_secret", {"ARN": "arn:aws:secretsmanager:x", "Name": NAME})
    stubber.add_response("get_secret_value", {"SecretString": "{}", "VersionId": "v1" * 16})
    stubber.add_client_error("put_secret_value", "AccessDeniedException", "not allowed to PutSecretValue")
    stubber.activate()
    monkeypatch.setattr(
        secretsmanager_value.AnsibleAWSModule,
        "client",
        lambda _module, _service, retry_decorator=None: RetryingBotoClientWrapper(client, retry_decorator),
    )
    result = sync(capsys, json.dumps(CONFIG))
    assert result["failed"] and result["msg"].startswith("cannot put the new value of secret")
    assert "AccessDeniedException" in result["_raw"] and "pw-unit-8c1d" not in result["_raw"]
    stubber.assert_no_pending_responses()


def test_throttled_put_is_retried_with_one_request_token(
    aws: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.sleep", lambda _seconds: None)
    tokens: list[str] = []
    real_client = secretsmanager_value.AnsibleAWSModule.client

    def client_with_one_throttle(module: Any, service: str, retry_decorator: Any = None) -> Any:
        wrapped = real_client(module, service, retry_decorator=retry_decorator)
        boto = wrapped.client

        def throttle_once(params: dict[str, Any], **_kwargs: Any) -> None:
            tokens.append(params["ClientRequestToken"])
            if len(tokens) == 1:
                from botocore.exceptions import ClientError

                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutSecretValue")

        boto.meta.events.register("provide-client-params.secrets-manager.PutSecretValue", throttle_once)
        return wrapped

    monkeypatch.setattr(secretsmanager_value.AnsibleAWSModule, "client", client_with_one_throttle)
    result = sync(capsys, json.dumps(CONFIG))
    assert result["changed"] is True and len(tokens) == 2 and tokens[0] == tokens[1]
    assert len(versions(aws)) == 1
