"""dailyge.infra.rds_snapshot: daily snapshot, rotation, check mode, idempotence, bad input, faults.

The engine runs against moto's in-process RDS (mock_aws) for behaviour, and against botocore's
Stubber for what moto cannot do (a snapshot stuck in `creating`, throttling on DeleteDBSnapshot).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from ansible_collections.dailyge.infra.plugins.module_utils import rds_daily_snapshots as engine
from ansible_collections.dailyge.infra.plugins.module_utils.local_days import zone
from ansible_collections.dailyge.infra.plugins.modules import rds_snapshot as module
from botocore.stub import Stubber
from moto import mock_aws
from ops_fakes import FakeClock, client_error, wrap

REGION = "ap-northeast-2"
DB = "dailyge-local"
SEOUL = zone("Asia/Seoul")
# 18:30 UTC on Nov 27 is 03:30 on Nov 28 in Seoul: the snapshot is named by the Seoul date.
NOW = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
TODAY = "dailyge-local-daily-20261128"
OURS = [
    {"Key": engine.CREATED_BY_TAG, "Value": engine.CREATED_BY_VALUE},
    {"Key": engine.KIND_TAG, "Value": engine.KIND_VALUE},
]


@pytest.fixture
def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """amazon.aws's retry loop sleeps through time.sleep: record instead of sleeping."""
    from ansible_collections.amazon.aws.plugins.module_utils import cloud

    slept: list[float] = []
    monkeypatch.setattr(cloud.time, "sleep", slept.append)
    return slept


@pytest.fixture
def rds() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("rds", region_name=REGION)
        for name in (DB, "other-db"):
            client.create_db_instance(
                DBInstanceIdentifier=name,
                DBInstanceClass="db.t3.micro",
                Engine="mysql",
                MasterUsername="admin",
                MasterUserPassword="not-a-secret-1",
                AllocatedStorage=20,
            )
        yield client


def seed_daily(client: Any, db: str, day: str, tags: list[dict[str, str]] | None = None) -> str:
    name = f"{db}-daily-{day}"
    client.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier=db, Tags=OURS if tags is None else tags)
    return name


def days_before(count: int) -> list[str]:
    """YYYYMMDD of the `count` Seoul days before TODAY, oldest first."""
    return [(datetime(2026, 11, 28) - timedelta(days=offset)).strftime("%Y%m%d") for offset in range(count, 0, -1)]


def run(client: Any, check_mode: bool = False, **options: Any) -> tuple[engine.Outcome, list[str], Any]:
    wrapped, recorder = wrap(client, module.retry_decorator())
    outcome, warnings = engine.run(
        wrapped, engine.Options(db_instance_identifier=DB, **options), SEOUL, FakeClock(NOW), check_mode
    )
    return outcome, warnings, recorder


def snapshot_names(client: Any) -> set[str]:
    return {item["DBSnapshotIdentifier"] for item in client.describe_db_snapshots()["DBSnapshots"]}


def test_creates_todays_snapshot_named_by_the_seoul_date_and_tagged(rds):
    outcome, _, recorder = run(rds)
    assert outcome.created == [TODAY]
    assert outcome.snapshot_status == "available"
    snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier=TODAY)["DBSnapshots"][0]
    tags = {tag["Key"]: tag["Value"] for tag in snapshot["TagList"]}
    assert tags[engine.CREATED_BY_TAG] == engine.CREATED_BY_VALUE
    assert recorder.writes == ["create_db_snapshot"]


def test_second_run_the_same_day_changes_nothing_and_writes_nothing(rds):
    run(rds)
    outcome, _, recorder = run(rds)
    assert not outcome.changed
    assert recorder.writes == []
    assert outcome.kept == [TODAY]
    assert outcome.latest == TODAY


def test_rotation_keeps_the_newest_n_own_dailies_and_touches_nothing_else(rds):
    own = [seed_daily(rds, DB, day) for day in days_before(10)]
    foreign_lookalike = seed_daily(rds, DB, "20200101", tags=[])  # our name pattern, not our tag
    other_instance = seed_daily(rds, "other-db", "20200101")  # our tag, another instance
    renamed = "dailyge-local-weekly-20200101"
    rds.create_db_snapshot(DBSnapshotIdentifier=renamed, DBInstanceIdentifier=DB, Tags=OURS)
    automated = {
        item["DBSnapshotIdentifier"]
        for item in rds.describe_db_snapshots(SnapshotType="automated")["DBSnapshots"]
        if item["DBInstanceIdentifier"] == DB
    }
    assert automated, "moto should create an automated snapshot with the instance"

    outcome, _, recorder = run(rds, keep=7)

    assert outcome.created == [TODAY]
    assert outcome.deleted == own[:4]  # 11 own dailies, keep 7: the 4 oldest go
    assert outcome.kept == [TODAY, *reversed(own[4:])]
    left = snapshot_names(rds)
    assert {foreign_lookalike, other_instance, renamed} <= left
    assert automated <= {item["DBSnapshotIdentifier"] for item in rds.describe_db_snapshots()["DBSnapshots"]}
    assert recorder.writes == ["create_db_snapshot"] + ["delete_db_snapshot"] * 4


def test_keep_zero_still_keeps_the_newest_available_snapshot(rds):
    for day in days_before(3):
        seed_daily(rds, DB, day)
    outcome, _, _ = run(rds, keep=0)
    assert outcome.kept == [TODAY]
    assert len(outcome.deleted) == 3
    assert TODAY in snapshot_names(rds)


def test_keep_zero_without_create_keeps_the_newest_existing_one(rds):
    names = [seed_daily(rds, DB, day) for day in days_before(3)]
    outcome, _, _ = run(rds, keep=0, create=False)
    assert outcome.kept == [names[-1]]
    assert outcome.latest == names[-1]
    assert outcome.deleted == names[:2]


def test_check_mode_reads_only_and_lists_what_it_would_do(rds):
    own = [seed_daily(rds, DB, day) for day in days_before(9)]
    before = snapshot_names(rds)
    outcome, _, recorder = run(rds, check_mode=True, keep=7)
    assert recorder.writes == []
    assert snapshot_names(rds) == before
    assert outcome.created == [TODAY]
    assert outcome.deleted == own[:3]  # the same plan the real run executes
    real, _, _ = run(rds, keep=7)
    assert real.deleted == outcome.deleted


def test_a_foreign_snapshot_with_todays_name_stops_the_run(rds):
    seed_daily(rds, DB, "20261128", tags=[{"Key": "Owner", "Value": "someone"}])
    seed_daily(rds, DB, "20261101")
    with pytest.raises(engine.SnapshotError, match="was not made by this tool"):
        run(rds, keep=0)
    assert f"{DB}-daily-20261101" in snapshot_names(rds)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"keep": -1}, "keep must be 0 or more"),
        ({"wait_timeout": 0}, "wait_timeout must be positive"),
        ({"extra_tags": {engine.CREATED_BY_TAG: "me"}}, "is reserved"),
    ],
)
def test_bad_input_is_one_line_before_any_call(rds, options, message):
    wrapped, recorder = wrap(rds, module.retry_decorator())
    with pytest.raises(engine.SnapshotError, match=message):
        engine.run(wrapped, engine.Options(db_instance_identifier=DB, **options), SEOUL, FakeClock(NOW), False)
    assert recorder.calls == []


def test_an_unknown_instance_fails_before_any_write(rds):
    wrapped, recorder = wrap(rds, module.retry_decorator())
    with pytest.raises(engine.SnapshotError, match="RDS instance 'nope' was not found"):
        engine.run(wrapped, engine.Options(db_instance_identifier="nope"), SEOUL, FakeClock(NOW), False)
    assert recorder.writes == []


def test_a_malformed_identifier_is_refused():
    with pytest.raises(engine.SnapshotError, match="is not an RDS instance identifier"):
        engine.validate(engine.Options(db_instance_identifier="bad_name;"))


def test_quota_warning_within_ten_of_one_hundred(rds):
    for index in range(89):
        rds.create_db_snapshot(DBSnapshotIdentifier=f"manual-{index}", DBInstanceIdentifier="other-db")
    outcome, warnings, _ = run(rds)
    assert outcome.manual_snapshot_count == 90
    assert outcome.quota_warning and "within 10 of the quota of 100" in outcome.quota_warning
    assert outcome.quota_warning in warnings


def test_no_quota_warning_below_the_margin(rds):
    outcome, warnings, _ = run(rds)
    assert outcome.manual_snapshot_count == 1
    assert outcome.quota_warning is None and warnings == []


# --- faults (Stubber) -------------------------------------------------------------------------


def stub_snapshot(name: str, status: str, day_offset: int = 0, tags: list[dict[str, str]] | None = None) -> dict:
    return {
        "DBSnapshotIdentifier": name,
        "DBInstanceIdentifier": DB,
        "Status": status,
        "SnapshotType": "manual",
        "SnapshotCreateTime": NOW - timedelta(days=day_offset),
        "TagList": OURS if tags is None else tags,
    }


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client(
        "rds", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )  # never sends: every call is stubbed
    return client, Stubber(client)


def test_throttling_on_delete_is_retried(no_retry_sleep):
    client, stubber = stubbed()
    older = f"{DB}-daily-20261120"
    stubber.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": DB}]})
    listing = [stub_snapshot(TODAY, "available"), stub_snapshot(older, "available", 8)]
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": listing})
    stubber.add_client_error("delete_db_snapshot", **client_error("Throttling", "Rate exceeded"))
    stubber.add_client_error("delete_db_snapshot", **client_error("ThrottlingException", "Rate exceeded"))
    stubber.add_response("delete_db_snapshot", {"DBSnapshot": {"DBSnapshotIdentifier": older}})
    with stubber:
        outcome, _, recorder = run(client, keep=1)
        stubber.assert_no_pending_responses()
    assert outcome.deleted == [older]
    assert recorder.writes == ["delete_db_snapshot"] * 3
    assert len(no_retry_sleep) == 2, "two throttled calls, two backoff sleeps"


def test_a_snapshot_stuck_in_creating_fails_after_the_timeout_and_rotates_nothing():
    client, stubber = stubbed()
    stubber.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": DB}]})
    old = [stub_snapshot(f"{DB}-daily-2026111{day}", "available", 10 - day) for day in range(5)]
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": old})
    stubber.add_response("create_db_snapshot", {"DBSnapshot": stub_snapshot(TODAY, "creating")})
    clock = FakeClock(NOW)
    for _ in range(200):
        stubber.add_response("describe_db_snapshots", {"DBSnapshots": [stub_snapshot(TODAY, "creating")]})
    wrapped, recorder = wrap(client, module.retry_decorator())
    with stubber, pytest.raises(engine.SnapshotError) as raised:
        engine.run(wrapped, engine.Options(DB, keep=1, wait_timeout=600), SEOUL, clock, False)
    assert str(raised.value) == f"snapshot {TODAY} is still 'creating' after 600 s: nothing was rotated"
    assert raised.value.result["created"] == [TODAY]
    assert "delete_db_snapshot" not in recorder.calls
    assert 590 <= clock.elapsed <= 600, "waited the whole timeout, with backoff"
    assert max(clock.sleeps) <= 30


def test_a_snapshot_that_fails_stops_the_rotation():
    client, stubber = stubbed()
    stubber.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": DB}]})
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [stub_snapshot(f"{DB}-daily-20261101", "available")]})
    stubber.add_response("create_db_snapshot", {"DBSnapshot": stub_snapshot(TODAY, "creating")})
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [stub_snapshot(TODAY, "failed")]})
    with stubber, pytest.raises(engine.SnapshotError, match="ended in status 'failed': nothing was rotated"):
        run(client, keep=0)


def test_own_snapshots_that_are_not_available_are_never_deleted_nor_counted():
    client, stubber = stubbed()
    stubber.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": DB}]})
    listing = [
        stub_snapshot(TODAY, "available"),
        stub_snapshot(f"{DB}-daily-20261127", "available", 1),
        stub_snapshot(f"{DB}-daily-20261126", "creating", 2),
        stub_snapshot(f"{DB}-daily-20261125", "copying", 3),
        stub_snapshot(f"{DB}-daily-20261124", "available", 4),
    ]
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": listing})
    stubber.add_response("delete_db_snapshot", {"DBSnapshot": {}})
    with stubber:
        outcome, _, recorder = run(client, keep=2)
        stubber.assert_no_pending_responses()
    assert outcome.deleted == [f"{DB}-daily-20261124"]
    assert outcome.not_available == [f"{DB}-daily-20261125", f"{DB}-daily-20261126"]
    assert recorder.writes == ["delete_db_snapshot"]


def test_a_snapshot_deleted_meanwhile_is_a_warning_not_a_failure(no_retry_sleep):
    client, stubber = stubbed()
    gone = f"{DB}-daily-20261101"
    stubber.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": DB}]})
    stubber.add_response(
        "describe_db_snapshots",
        {"DBSnapshots": [stub_snapshot(TODAY, "available"), stub_snapshot(gone, "available", 27)]},
    )
    stubber.add_client_error("delete_db_snapshot", **client_error("DBSnapshotNotFound", status=404))
    with stubber:
        outcome, warnings, _ = run(client, keep=1)
    assert outcome.deleted == []
    assert warnings == [f"snapshot {gone} was already gone"]


def test_listing_follows_the_marker():
    client, stubber = stubbed()
    stubber.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": DB}]})
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [stub_snapshot(TODAY, "available")], "Marker": "m1"})
    stubber.add_response(
        "describe_db_snapshots",
        {"DBSnapshots": [stub_snapshot(f"{DB}-daily-20261101", "available", 27)]},
        {"SnapshotType": "manual", "MaxRecords": 100, "Marker": "m1"},
    )
    with stubber:
        outcome, _, _ = run(client, keep=5)
    assert outcome.kept == [TODAY, f"{DB}-daily-20261101"]
    assert outcome.manual_snapshot_count == 2


def test_read_only_mode_finds_the_latest_without_writing(rds):
    names = [seed_daily(rds, DB, day) for day in days_before(3)]
    outcome, _, recorder = run(rds, keep=1, create=False, rotate=False)
    assert outcome.latest == names[-1]
    assert outcome.deleted == [] and recorder.writes == []
