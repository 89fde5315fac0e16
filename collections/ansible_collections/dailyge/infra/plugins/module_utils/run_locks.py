# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-environment run lock of dailyge.infra.run_lock: one small JSON object naming its holder.

Two backends with the same compare-and-swap semantics:

* S3 (`locks/<env>.json` in the environment's archive bucket): created with a conditional write
  (`If-None-Match: *`, refused when the object exists), replaced only when its ETag is still the one
  read (`If-Match`), deleted the same way. Two runs racing for the lock cannot both win.
* a file (before the environment has a bucket, and the local deploy lock): the same three steps done
  under flock(2) on the lock's folder, each write atomic (temp file + fsync + rename).

A lock is taken over only when its holder is gone: older than `stale_after` seconds by the
backend's own clock (S3's Date and Last-Modified; the file's mtime), or held by a process of this
host that no longer exists (pid, checked with its start time so a reused pid does not count).
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from ansible_collections.dailyge.infra.plugins.module_utils.atomic_file import read_bytes, write_atomically

STALE_AFTER_DEFAULT = 12 * 3600
ATTEMPTS = 3
# S3's answers to a conditional write that lost: 412 (the condition is false) and 409 (another
# conditional write to the same key is in flight); 404 when If-Match names an object that is gone.
LOST_RACE_CODES = ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "404", "412", "409")


class LockError(Exception):
    """A lock that cannot be taken or read; the message is the one line the user sees."""


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    user: str
    play: str
    started: str
    pid_start: int = 0  # the process's start time in clock ticks since boot (/proc/<pid>/stat), 0 unknown

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Holder:
        if not isinstance(data, dict):
            raise ValueError("the lock does not hold a JSON object")
        try:
            return cls(
                pid=int(data["pid"]),
                host=str(data["host"]),
                user=str(data.get("user", "?")),
                play=str(data.get("play", "?")),
                started=str(data.get("started", "?")),
                pid_start=int(data.get("pid_start", 0) or 0),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the lock lacks a holder's pid and host ({exc})") from exc

    def body(self) -> bytes:
        return (json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n").encode()

    def same_process(self, other: Holder) -> bool:
        return (
            self.host == other.host
            and self.pid == other.pid
            and (not self.pid_start or not other.pid_start or self.pid_start == other.pid_start)
        )


@dataclass(frozen=True)
class Current:
    """What the backend holds now: the parsed holder (None when unreadable), its version and age."""

    raw: bytes
    version: str
    age_seconds: float

    def holder(self) -> Holder | None:
        try:
            return Holder.from_dict(json.loads(self.raw.decode("utf-8")))
        except (UnicodeDecodeError, ValueError):
            return None


# --- the process that holds the lock -----------------------------------------------------------------


def process_start(pid: int) -> int:
    """Start time of `pid` in clock ticks since boot (0 when unknown: not Linux, or no such process)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        return int(fields[19])  # field 22 of proc(5), counted after the command name
    except (OSError, IndexError, ValueError):
        return 0


def _parent_and_command(pid: int) -> tuple[int, list[str]]:
    try:
        parent = int(Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[1])
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        command = [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]
    except (OSError, IndexError, ValueError):
        return 0, []
    return parent, command


def _is_ansible_playbook(command: list[str]) -> bool:
    return any(Path(part).name == "ansible-playbook" for part in command[:2])


def playbook_pid(start: int | None = None) -> int:
    """The ansible-playbook process this module runs under (its outermost one), else the parent pid.

    A module runs in a child of an ansible-playbook worker (a fork of the main process, with the same
    command line); the worker ends after each task, the main process lives as long as the run.
    """
    pid = os.getpid() if start is None else start
    found = 0
    for _attempt in range(64):  # never loop forever on a broken /proc
        parent, command = _parent_and_command(pid)
        if _is_ansible_playbook(command):
            found = pid
        elif found:
            break
        if parent <= 1:
            break
        pid = parent
    return found or os.getppid()


def is_alive(pid: int, pid_start: int = 0) -> bool:
    """Whether process `pid` of this host still runs (and is the same process when its start time is known)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by another user
    if pid_start:
        now = process_start(pid)
        return not now or now == pid_start
    return True


def this_process(play: str, pid: int = 0) -> Holder:
    pid = pid or playbook_pid()
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return Holder(
        pid=pid,
        host=socket.gethostname(),
        user=user,
        play=play or "?",
        started=datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        pid_start=process_start(pid),
    )


# --- backends --------------------------------------------------------------------------------------------


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class S3Backend:
    def __init__(self, client: Any, bucket: str, key: str, client_error: type[Exception]) -> None:
        self.client, self.bucket, self.key, self.client_error = client, bucket, key, client_error

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def read(self) -> Current | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except self.client_error as exc:
            if _error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        raw = answer["Body"].read()
        server_now = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        try:
            now = parsedate_to_datetime(server_now) if server_now else datetime.now(timezone.utc)
        except (TypeError, ValueError):
            now = datetime.now(timezone.utc)
        age = max(0.0, (now - answer["LastModified"]).total_seconds())
        return Current(raw, answer["ETag"], age)

    def _conditional(self, call: Callable[..., Any], **kwargs: Any) -> bool:
        try:
            call(Bucket=self.bucket, Key=self.key, **kwargs)
        except self.client_error as exc:
            if _error_code(exc) in LOST_RACE_CODES:
                return False
            raise
        return True

    def create(self, body: bytes) -> bool:
        return self._conditional(self.client.put_object, Body=body, IfNoneMatch="*", ContentType="application/json")

    def replace(self, body: bytes, version: str) -> bool:
        return self._conditional(self.client.put_object, Body=body, IfMatch=version, ContentType="application/json")

    def delete(self, version: str) -> bool:
        return self._conditional(self.client.delete_object, IfMatch=version)


class FileBackend:
    def __init__(self, path: str) -> None:
        self.path = Path(path).absolute()

    @property
    def location(self) -> str:
        return str(self.path)

    @contextlib.contextmanager
    def _guard(self):
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # closing releases the flock

    def _current(self) -> Current | None:
        raw = read_bytes(str(self.path))
        if raw is None:
            return None
        age = max(0.0, time.time() - self.path.stat().st_mtime)
        return Current(raw, hashlib.sha256(raw).hexdigest(), age)

    def read(self) -> Current | None:
        with self._guard():
            return self._current()

    def create(self, body: bytes) -> bool:
        with self._guard():
            if self._current() is not None:
                return False
            write_atomically(str(self.path), body)
            return True

    def replace(self, body: bytes, version: str) -> bool:
        with self._guard():
            current = self._current()
            if current is None or current.version != version:
                return False
            write_atomically(str(self.path), body)
            return True

    def delete(self, version: str) -> bool:
        with self._guard():
            current = self._current()
            if current is None or current.version != version:
                return False
            self.path.unlink()
            return True


# --- acquire and release ---------------------------------------------------------------------------------


def age_text(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def refusal(what: str, name: str, holder: Holder | None, current: Current, location: str) -> str:
    """The one line a refused run prints: who holds the lock and since when."""
    if holder is None:
        return (
            f"another {what} of {name} may be running: the lock {location} is unreadable "
            f"(written {age_text(current.age_seconds)} ago); it is taken over once it is stale"
        )
    return (
        f"another {what} of {name} is running ({holder.play}, pid {holder.pid}, started {holder.started} "
        f"on {holder.host} by {holder.user}, {age_text(current.age_seconds)} ago): try again when it has "
        f"finished (lock {location})"
    )


def stale_reason(
    holder: Holder | None, current: Current, me: Holder, stale_after: int, alive: Callable[[int, int], bool]
) -> str:
    """Why the lock may be taken over ('' when its holder may still run)."""
    if current.age_seconds >= stale_after:
        return f"stale: written {age_text(current.age_seconds)} ago (more than {age_text(stale_after)})"
    if holder is not None and holder.host == me.host and not alive(holder.pid, holder.pid_start):
        return f"its holder, pid {holder.pid} on {holder.host}, is gone"
    return ""


def acquire(
    backend: Any,
    me: Holder,
    *,
    name: str,
    what: str = "run",
    stale_after: int = STALE_AFTER_DEFAULT,
    check_mode: bool = False,
    alive: Callable[[int, int], bool] = is_alive,
) -> dict[str, Any]:
    """Take the lock for `me`, or raise LockError naming its holder. Check mode only reads."""
    verb = "would " if check_mode else ""
    for _attempt in range(ATTEMPTS):
        current = backend.read()
        if current is None:
            if check_mode or backend.create(me.body()):
                return {"changed": True, "action": f"{verb}take the free lock", "holder": me, "previous": None}
            continue  # another run created it between our read and our write: read it again
        holder = current.holder()
        if holder is not None and holder.same_process(me):
            return {"changed": False, "action": "already held by this run", "holder": holder, "previous": None}
        reason = stale_reason(holder, current, me, stale_after, alive)
        if not reason:
            raise LockError(refusal(what, name, holder, current, backend.location))
        if check_mode or backend.replace(me.body(), current.version):
            return {
                "changed": True,
                "action": f"{verb}take over the lock ({reason})",
                "holder": me,
                "previous": holder,
            }
    raise LockError(
        f"the lock of {name} ({backend.location}) changed hands {ATTEMPTS} times while taking it: try again"
    )


def acquire_waiting(
    backend: Any,
    me: Holder,
    *,
    wait: float = 0,
    poll: float = 15,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    **options: Any,
) -> dict[str, Any]:
    """acquire(), trying again every `poll` seconds for up to `wait` seconds while another run holds the lock."""
    deadline = monotonic() + wait
    while True:
        try:
            return acquire(backend, me, **options)
        except LockError as exc:
            if options.get("check_mode") or monotonic() + poll > deadline:
                if wait > 0:
                    raise LockError(f"{exc} (waited {age_text(wait)})") from exc
                raise
        sleep(poll)


def release(backend: Any, me: Holder, *, check_mode: bool = False) -> dict[str, Any]:
    """Delete the lock when this run holds it; a lock held by another run is left alone."""
    current = backend.read()
    if current is None:
        return {"changed": False, "action": "not held (nothing to release)", "holder": None}
    holder = current.holder()
    if holder is None or not holder.same_process(me):
        return {"changed": False, "action": "held by another run: left alone", "holder": holder}
    if check_mode:
        return {"changed": True, "action": "would release", "holder": holder}
    if backend.delete(current.version):
        return {"changed": True, "action": "released", "holder": holder}
    return {"changed": False, "action": "changed hands before it was released: left alone", "holder": None}
