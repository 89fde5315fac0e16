"""dailyge.infra.release_record against moto in-process: query of the bootstrap placeholder and of the
history, present (change, check mode, idempotence, diff) and bad input refused before any write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.dailyge.infra.plugins.modules import release_record
from module_harness import ApiCalls, fake_aws_environment, recording_api_calls, run_module
from moto import mock_aws

REGION = "ap-northeast-2"
PARAMETER = "/dailyge/test/api/release"
BOOTSTRAP = json.dumps({"image": "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/dailyge-api:bootstrap"})


def record(tag: str, accepted: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "environment": "test",
        "image": f"repo:{tag}@sha256:{tag}",
        "tag": tag,
        "digest": f"sha256:{tag}",
        "task_definition_arn": f"arn:aws:ecs:ap-northeast-2:123456789012:task-definition/api:{len(tag)}",
        "revision": len(tag),
        "commit": tag,
        "released_at": "2026-12-03T12:00:00Z",
        "accepted": accepted,
        "result": "accepted" if accepted else "failed",
        "previous": None,
        **extra,
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiCalls]:
    fake_aws_environment(monkeypatch, REGION)
    with mock_aws():
        ssm().put_parameter(Name=PARAMETER, Value=BOOTSTRAP, Type="String")
        with recording_api_calls(monkeypatch) as calls:
            yield calls


def ssm() -> Any:
    return boto3.client("ssm", region_name=REGION)


def live() -> dict[str, Any]:
    return ssm().get_parameter(Name=PARAMETER)["Parameter"]


def put(value: dict[str, Any] | str) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    ssm().put_parameter(Name=PARAMETER, Value=text, Type="String", Overwrite=True)


def run(args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return run_module(release_record.main, {"parameter": PARAMETER, **args}, **kwargs)


def test_the_bootstrap_placeholder_is_no_release(aws: ApiCalls):
    result = run({})

    assert result["changed"] is False
    assert result["current"] is None
    assert result["history"] == []
    assert result["accepted_digests"] == []
    assert result["rollback_target"] is None
    assert aws.writes == []


def test_query_reads_the_history_and_finds_the_rollback_target(aws: ApiCalls):
    for value in (record("a"), "not json", record("b", accepted=False), record("c"), record("e"), {"tag": "d"}):
        put(value)
    aws.clear()

    result = run({}, check_mode=True)

    assert result["changed"] is False
    assert result["current"] is None, "the last value lacks digest and image: it is not a release record"
    assert [r["tag"] for r in result["history"]] == ["a", "b", "c", "e"]
    assert result["accepted_digests"] == ["sha256:a", "sha256:c", "sha256:e"]
    assert result["rollback_target"]["tag"] == "e"
    assert aws.writes == []

    put(record("e"))
    again = run({})
    assert again["current"]["tag"] == "e"
    assert again["rollback_target"]["tag"] == "c", "the newest accepted release with another digest"


def test_present_writes_compact_sorted_json_keeping_image(aws: ApiCalls):
    wanted = record("a", previous=None)
    result = run({"state": "present", "record": wanted})

    assert result["changed"] is True, result
    assert aws.writes == ["PutParameter"]
    value = live()["Value"]
    assert value == json.dumps(wanted, sort_keys=True, separators=(",", ":"))
    assert json.loads(value)["image"] == wanted["image"]
    assert live()["Type"] == "String"
    assert result["diff"] == {"before": BOOTSTRAP, "after": value}
    assert result["current"] == wanted


def test_present_twice_writes_once(aws: ApiCalls):
    run({"state": "present", "record": record("a")})
    version = live()["Version"]
    aws.clear()

    second = run({"state": "present", "record": record("a")})

    assert second["changed"] is False
    assert aws.writes == []
    assert live()["Version"] == version


def test_present_in_check_mode_writes_nothing(aws: ApiCalls):
    version = live()["Version"]
    result = run({"state": "present", "record": record("a")}, check_mode=True)

    assert result["changed"] is True
    assert aws.writes == []
    assert live()["Version"] == version
    assert live()["Value"] == BOOTSTRAP


@pytest.mark.parametrize("missing", ["tag", "digest", "image"])
def test_a_record_without_tag_digest_or_image_is_refused(aws: ApiCalls, missing: str):
    incomplete = {key: value for key, value in record("a").items() if key != missing}
    result = run({"state": "present", "record": incomplete})

    assert result["failed"] is True
    assert result["msg"] == (
        f"record for SSM parameter {PARAMETER} lacks {missing}: a release record needs tag, digest and image"
    )
    assert aws.calls == []
    assert live()["Value"] == BOOTSTRAP


def test_present_without_a_record_is_refused(aws: ApiCalls):
    result = run({"state": "present"})
    assert result["failed"] is True and "record" in result["msg"]
    assert aws.writes == []


@pytest.mark.parametrize("args", [{}, {"state": "present", "record": record("a")}])
def test_a_missing_parameter_is_one_line(aws: ApiCalls, args: dict[str, Any]):
    result = run_module(release_record.main, {"parameter": "/dailyge/nope/api/release", **args})

    assert result["failed"] is True
    assert result["msg"] == "SSM parameter /dailyge/nope/api/release does not exist: run site.yml first"
    assert aws.writes == []
