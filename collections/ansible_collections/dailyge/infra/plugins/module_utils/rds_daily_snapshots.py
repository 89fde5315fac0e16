# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Daily manual RDS snapshots: create today's, wait for it, rotate the tool's own older ones.

The engine of the `dailyge.infra.rds_snapshot` module, kept free of Ansible so tests drive it with
moto or botocore's Stubber. `client` is an RDS client wrapped by amazon.aws's
`RetryingBotoClientWrapper` (calls pass `aws_retry=True`, so throttling is retried with backoff).

Safety rules (each has a test):
* only manual snapshots of the given instance whose name is `<db>-daily-<YYYYMMDD>` *and* that carry
  the tool's tag are ever deleted: automated, foreign and look-alike snapshots are never touched;
* only `available` snapshots are deleted, and the newest available one is always kept (even keep=0);
* nothing is rotated unless today's snapshot is `available` (a stuck or failed snapshot stops the run);
* check mode reads only, and plans as if today's snapshot were created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing botocore itself
    ClientError = Exception

from ansible_collections.dailyge.infra.plugins.module_utils.local_days import local_date
from ansible_collections.dailyge.infra.plugins.module_utils.waiting import Clock, WaitTimeoutError, wait_for

CREATED_BY_TAG = "dailyge:created-by"
CREATED_BY_VALUE = "dailyge.infra.rds_snapshot"
KIND_TAG = "dailyge:snapshot-kind"
KIND_VALUE = "daily"
OWN_TAGS = {CREATED_BY_TAG: CREATED_BY_VALUE, KIND_TAG: KIND_VALUE}
DB_IDENTIFIER = re.compile(r"^[A-Za-z](?:-?[A-Za-z0-9])*$")
# Statuses from which a snapshot will never become available.
FAILED_STATUSES = ("failed", "error", "deleted", "deleting", "incompatible-restore", "incompatible-parameters")
NOT_FOUND_CODES = ("DBSnapshotNotFound", "DBSnapshotNotFoundFault")


class SnapshotError(Exception):
    """A failure of the job (not of a call): the message is the one line to report."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result or {}


@dataclass(frozen=True)
class Snapshot:
    identifier: str
    instance: str
    status: str
    created: datetime | None
    tags: dict[str, str]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Snapshot:
        return cls(
            identifier=data["DBSnapshotIdentifier"],
            instance=data.get("DBInstanceIdentifier", ""),
            status=data.get("Status", "unknown"),
            created=data.get("SnapshotCreateTime"),
            tags={tag["Key"]: tag.get("Value", "") for tag in data.get("TagList") or []},
        )


@dataclass(frozen=True)
class Options:
    db_instance_identifier: str
    keep: int = 7
    create: bool = True
    rotate: bool = True
    wait: bool = True
    wait_timeout: float = 3600.0
    quota: int = 100
    quota_warning_margin: int = 10
    extra_tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    snapshot: str
    snapshot_status: str = "absent"
    latest: str | None = None
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    not_available: list[str] = field(default_factory=list)
    manual_snapshot_count: int = 0
    quota: int = 100
    quota_warning: str | None = None
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.deleted)

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot": {"identifier": self.snapshot, "status": self.snapshot_status},
            "latest": self.latest,
            "created": self.created,
            "deleted": self.deleted,
            "kept": self.kept,
            "not_available": self.not_available,
            "manual_snapshot_count": self.manual_snapshot_count,
            "quota": self.quota,
            "quota_warning": self.quota_warning,
        }


def validate(options: Options) -> None:
    """One clear line for bad input, raised before any call."""
    if not DB_IDENTIFIER.match(options.db_instance_identifier) or len(options.db_instance_identifier) > 63:
        raise SnapshotError(f"'{options.db_instance_identifier}' is not an RDS instance identifier")
    if options.keep < 0:
        raise SnapshotError(f"keep must be 0 or more (got {options.keep})")
    if options.wait_timeout <= 0:
        raise SnapshotError(f"wait_timeout must be positive (got {options.wait_timeout})")
    if options.quota <= 0 or options.quota_warning_margin < 0:
        raise SnapshotError("quota must be positive and quota_warning_margin 0 or more")
    for key in options.extra_tags:
        if key in (CREATED_BY_TAG, KIND_TAG) or key.lower().startswith(("aws:", "rds:")):
            raise SnapshotError(f"tag '{key}' is reserved (the tool's own tags, or an aws:/rds: prefix)")


def daily_name(db: str, day: date) -> str:
    return f"{db}-daily-{day:%Y%m%d}"


def daily_date(snapshot: Snapshot, db: str) -> date | None:
    """The date of one of the tool's own daily snapshots of `db`; None for anything else."""
    match = re.fullmatch(re.escape(db) + r"-daily-(\d{8})", snapshot.identifier, flags=re.IGNORECASE)
    if not match or snapshot.instance.lower() != db.lower():
        return None
    if snapshot.tags.get(CREATED_BY_TAG) != CREATED_BY_VALUE or snapshot.tags.get(KIND_TAG) != KIND_VALUE:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def list_manual_snapshots(client: Any) -> list[Snapshot]:
    """Every manual DB snapshot of the region (they all count against the quota)."""
    found: list[Snapshot] = []
    marker = None
    while True:
        kwargs: dict[str, Any] = {"SnapshotType": "manual", "MaxRecords": 100}
        if marker:
            kwargs["Marker"] = marker
        page = client.describe_db_snapshots(aws_retry=True, **kwargs)
        found.extend(Snapshot.from_api(item) for item in page.get("DBSnapshots", []))
        marker = page.get("Marker")
        if not marker:
            return found


def require_instance(client: Any, db: str) -> None:
    """Fail with one line when the instance does not exist (before anything changes)."""
    try:
        client.describe_db_instances(aws_retry=True, DBInstanceIdentifier=db)
    except ClientError as exc:
        if error_code(exc) == "DBInstanceNotFound":
            raise SnapshotError(f"RDS instance '{db}' was not found: nothing was created or deleted") from exc
        raise


def error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def create_snapshot(client: Any, options: Options, name: str) -> None:
    tags = {**options.extra_tags, **OWN_TAGS}
    client.create_db_snapshot(
        aws_retry=True,
        DBSnapshotIdentifier=name,
        DBInstanceIdentifier=options.db_instance_identifier,
        Tags=[{"Key": key, "Value": str(value)} for key, value in sorted(tags.items())],
    )


def describe_one(client: Any, name: str) -> Snapshot:
    page = client.describe_db_snapshots(aws_retry=True, DBSnapshotIdentifier=name)
    return Snapshot.from_api(page["DBSnapshots"][0])


def wait_available(client: Any, name: str, options: Options, clock: Clock) -> Snapshot:
    """Wait until `name` is available; SnapshotError when it fails or the wait times out."""

    def settled(snapshot: Snapshot) -> bool:
        return snapshot.status == "available" or snapshot.status in FAILED_STATUSES

    try:
        snapshot = wait_for(lambda: describe_one(client, name), settled, clock, options.wait_timeout, 5.0, 30.0)
    except WaitTimeoutError as exc:
        status = exc.last.status if isinstance(exc.last, Snapshot) else "unknown"
        raise SnapshotError(
            f"snapshot {name} is still '{status}' after {options.wait_timeout:.0f} s: nothing was rotated",
            {"snapshot": {"identifier": name, "status": status}},
        ) from exc
    if snapshot.status != "available":
        raise SnapshotError(
            f"snapshot {name} ended in status '{snapshot.status}': nothing was rotated",
            {"snapshot": {"identifier": name, "status": snapshot.status}},
        )
    return snapshot


def plan_rotation(own: list[tuple[date, Snapshot]], keep: int) -> tuple[list[Snapshot], list[Snapshot]]:
    """(kept newest first, to delete oldest first) among the available own dailies: the newest max(keep, 1) stay."""
    available = sorted(
        (item for item in own if item[1].status == "available"),
        key=lambda item: (item[0], item[1].created.timestamp() if item[1].created else 0.0, item[1].identifier),
        reverse=True,
    )
    keep_count = max(keep, 1)
    return [snap for _day, snap in available[:keep_count]], [snap for _day, snap in reversed(available[keep_count:])]


def delete_snapshots(client: Any, doomed: list[Snapshot], outcome: Outcome, warnings: list[str]) -> None:
    for snapshot in doomed:
        try:
            client.delete_db_snapshot(aws_retry=True, DBSnapshotIdentifier=snapshot.identifier)
        except ClientError as exc:
            code = error_code(exc)
            if code in NOT_FOUND_CODES:
                warnings.append(f"snapshot {snapshot.identifier} was already gone")
                continue
            if code == "InvalidDBSnapshotState":
                warnings.append(f"snapshot {snapshot.identifier} changed state since it was listed: left as is")
                continue
            raise
        outcome.deleted.append(snapshot.identifier)


def run(
    client: Any,
    options: Options,
    tz: tzinfo,
    clock: Clock,
    check_mode: bool,
) -> tuple[Outcome, list[str]]:
    """Create today's snapshot (when asked), wait, rotate. Returns the outcome and warnings."""
    validate(options)
    db = options.db_instance_identifier
    require_instance(client, db)
    name = daily_name(db, local_date(clock.now(), tz))
    manual = list_manual_snapshots(client)
    own = [(day, snap) for snap in manual if (day := daily_date(snap, db)) is not None]
    outcome = Outcome(snapshot=name, quota=options.quota, before=sorted(snap.identifier for _day, snap in own))
    warnings: list[str] = []

    todays = next((snap for snap in manual if snap.identifier.lower() == name.lower()), None)
    if todays is not None and daily_date(todays, db) is None:
        raise SnapshotError(f"a manual snapshot named {name} exists but was not made by this tool: nothing was changed")
    if options.create and todays is None:
        outcome.created.append(name)
        if not check_mode:
            create_snapshot(client, options, name)
            todays = Snapshot(name, db, "creating", None, OWN_TAGS)
        else:
            todays = Snapshot(name, db, "available", clock.now(), OWN_TAGS)
        own.append((local_date(clock.now(), tz), todays))
    if todays is not None and todays.status != "available" and options.wait and not check_mode:
        try:
            todays = wait_available(client, name, options, clock)
        except SnapshotError as exc:
            exc.result["created"] = outcome.created
            raise
        own = [(day, todays if snap.identifier == todays.identifier else snap) for day, snap in own]
    outcome.snapshot_status = todays.status if todays is not None else "absent"

    kept, doomed = plan_rotation(own, options.keep)
    outcome.latest = kept[0].identifier if kept else None
    if options.rotate:
        outcome.kept = [snap.identifier for snap in kept]
        outcome.not_available = sorted(snap.identifier for _day, snap in own if snap.status != "available")
        if check_mode:
            outcome.deleted = [snap.identifier for snap in doomed]
        else:
            delete_snapshots(client, doomed, outcome, warnings)

    outcome.after = sorted(set(outcome.before + outcome.created) - set(outcome.deleted))
    outcome.manual_snapshot_count = len(manual) + len(outcome.created) - len(outcome.deleted)
    if outcome.manual_snapshot_count >= options.quota - options.quota_warning_margin:
        outcome.quota_warning = (
            f"{outcome.manual_snapshot_count} manual DB snapshots in the region: within "
            f"{options.quota_warning_margin} of the quota of {options.quota}"
        )
        warnings.append(outcome.quota_warning)
    return outcome, warnings
