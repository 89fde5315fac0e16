"""dailyge.infra.run_lock: take, refuse, take over, release; check mode, idempotence, bad input.

The S3 backend runs against moto's in-process S3 (conditional writes included), the file backend
against a temporary folder. The holder's pid is given (holder_pid): in a test no ansible-playbook runs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from ansible_collections.dailyge.infra.plugins.module_utils import run_locks as engine
from ansible_collections.dailyge.infra.plugins.modules import run_lock as module
from module_harness import fake_aws_environment, recording_api_calls, run_module
from moto import mock_aws

REGION = "ap-northeast-2"
BUCKET = "dailyge-local-archive"
KEY = "locks/local.json"
HOST = socket.gethostname()


def dead_pid() -> int:
    """A pid that existed a moment ago and has exited (reaped), so no process has it."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fake_aws_environment(monkeypatch)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield client


def lock_args(**extra: Any) -> dict[str, Any]:
    return {"name": "local", "bucket": BUCKET, "play": "restore_drill", "holder_pid": os.getpid(), **extra}


def stored(client: Any) -> dict[str, Any] | None:
    try:
        return json.loads(client.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
    except client.exceptions.NoSuchKey:
        return None


def seed(client: Any, **holder: Any) -> None:
    body = {"pid": 4242, "host": "ops-other", "user": "root", "play": "backup", "started": "2026-12-03T03:00:01Z"}
    body.update(holder)
    client.put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps(body).encode())


def backdate(hours: float) -> None:
    """Make the stored lock object older by the S3 clock (moto keeps Last-Modified on the key)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    key = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets[BUCKET].keys[KEY]
    key.last_modified = key.last_modified - timedelta(hours=hours)


# --- S3 backend ------------------------------------------------------------------------------------------


def test_takes_a_free_lock_with_a_conditional_write_naming_the_holder(s3, monkeypatch):
    with recording_api_calls(monkeypatch) as calls:
        result = run_module(module.main, lock_args())
    assert result["changed"] is True and result["acquired"] is True, result
    assert result["outcome"] == "take the free lock"
    assert calls.writes == ["PutObject"]
    holder = stored(s3)
    assert holder["pid"] == os.getpid() and holder["host"] == HOST and holder["play"] == "restore_drill"
    assert holder["user"] and holder["started"].endswith("Z")
    assert result["location"] == f"s3://{BUCKET}/{KEY}"
    assert result["diff"] == {"before": {}, "after": holder}


def test_taking_it_again_in_the_same_run_changes_nothing(s3, monkeypatch):
    run_module(module.main, lock_args())
    before = s3.head_object(Bucket=BUCKET, Key=KEY)["ETag"]
    with recording_api_calls(monkeypatch) as calls:
        again = run_module(module.main, lock_args())
    assert again["changed"] is False and again["acquired"] is True
    assert again["outcome"] == "already held by this run"
    assert calls.writes == []
    assert s3.head_object(Bucket=BUCKET, Key=KEY)["ETag"] == before


def test_a_second_holder_is_refused_with_one_line_naming_the_holder(s3, monkeypatch):
    seed(s3, pid=os.getpid(), host="ops-other")  # alive somewhere else: its pid says nothing here
    with recording_api_calls(monkeypatch) as calls:
        result = run_module(module.main, lock_args(play="backup"))
    assert result["failed"] is True
    message = result["msg"]
    assert "\n" not in message
    assert message.startswith("another run of local is running (backup, pid ")
    assert f"pid {os.getpid()}" in message and "on ops-other by root" in message
    assert "started 2026-12-03T03:00:01Z" in message and f"lock s3://{BUCKET}/{KEY}" in message
    assert calls.writes == []
    assert stored(s3)["host"] == "ops-other"


def test_a_lock_older_than_stale_after_by_the_s3_clock_is_taken_over(s3):
    seed(s3, pid=os.getpid(), host="ops-other")
    backdate(hours=13)
    result = run_module(module.main, lock_args())
    assert result["changed"] is True, result
    assert result["outcome"].startswith("take over the lock (stale: written 13 h")
    assert result["previous_holder"]["host"] == "ops-other"
    assert stored(s3)["host"] == HOST
    assert result["diff"]["before"]["host"] == "ops-other" and result["diff"]["after"]["host"] == HOST


def test_a_lock_younger_than_stale_after_is_not_taken_over(s3):
    seed(s3, pid=os.getpid(), host="ops-other")
    backdate(hours=11)
    result = run_module(module.main, lock_args())
    assert result["failed"] is True and "another run of local is running" in result["msg"]


def test_a_lock_of_a_dead_pid_on_this_host_is_taken_over(s3):
    gone = dead_pid()
    seed(s3, pid=gone, host=HOST)
    result = run_module(module.main, lock_args())
    assert result["changed"] is True, result
    assert result["outcome"] == f"take over the lock (its holder, pid {gone} on {HOST}, is gone)"
    assert stored(s3)["pid"] == os.getpid()


def test_a_reused_pid_does_not_keep_a_lock(s3):
    # The pid exists (this process) but started at another time: another process held the lock.
    seed(s3, pid=os.getpid(), host=HOST, pid_start=engine.process_start(os.getpid()) + 1)
    result = run_module(module.main, lock_args(holder_pid=os.getppid()))
    assert result["changed"] is True and "is gone" in result["outcome"], result


def test_a_dead_pid_on_another_host_is_not_taken_over(s3):
    seed(s3, pid=dead_pid(), host="ops-other")
    result = run_module(module.main, lock_args())
    assert result["failed"] is True and "on ops-other" in result["msg"]


def test_check_mode_reads_only(s3, monkeypatch):
    with recording_api_calls(monkeypatch) as calls:
        free = run_module(module.main, lock_args(), check_mode=True)
    assert free["changed"] is True and free["outcome"] == "would take the free lock"
    assert calls.writes == [] and stored(s3) is None

    seed(s3, pid=dead_pid(), host=HOST)
    with recording_api_calls(monkeypatch) as calls:
        takeover = run_module(module.main, lock_args(), check_mode=True)
    assert takeover["changed"] is True and takeover["outcome"].startswith("would take over")
    assert calls.writes == [] and stored(s3)["pid"] != os.getpid()

    run_module(module.main, lock_args())
    before = s3.head_object(Bucket=BUCKET, Key=KEY)["ETag"]
    with recording_api_calls(monkeypatch) as calls:
        release = run_module(module.main, lock_args(state="absent"), check_mode=True)
    assert release["changed"] is True and release["outcome"] == "would release"
    assert calls.writes == [] and s3.head_object(Bucket=BUCKET, Key=KEY)["ETag"] == before


def test_check_mode_refuses_a_held_lock_too(s3):
    seed(s3, host="ops-other")
    result = run_module(module.main, lock_args(), check_mode=True)
    assert result["failed"] is True and "another run of local is running" in result["msg"]


def test_release_deletes_only_its_own_lock_and_is_idempotent(s3, monkeypatch):
    run_module(module.main, lock_args())
    released = run_module(module.main, lock_args(state="absent"))
    assert released["changed"] is True and released["released"] is True
    assert stored(s3) is None
    with recording_api_calls(monkeypatch) as calls:
        again = run_module(module.main, lock_args(state="absent"))
    assert again["changed"] is False and again["outcome"] == "not held (nothing to release)"
    assert calls.writes == []

    seed(s3, pid=os.getpid(), host="ops-other")
    with recording_api_calls(monkeypatch) as calls:
        foreign = run_module(module.main, lock_args(state="absent"))
    assert foreign["changed"] is False and foreign["released"] is False
    assert foreign["outcome"] == "held by another run: left alone"
    assert calls.writes == [] and stored(s3)["host"] == "ops-other"


def test_release_does_not_delete_a_lock_replaced_after_it_was_read(s3):
    backend = engine.S3Backend(s3, BUCKET, KEY, s3.exceptions.ClientError)
    me = engine.this_process("drill", os.getpid())
    engine.acquire(backend, me, name="local")
    etag = backend.read().version
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b'{"pid": 1, "host": "ops-other"}')  # taken over meanwhile
    assert backend.delete(etag) is False
    assert stored(s3)["host"] == "ops-other"


def test_two_runs_racing_for_a_free_lock_cannot_both_win(s3):
    backend = engine.S3Backend(s3, BUCKET, KEY, s3.exceptions.ClientError)
    first, second = engine.this_process("a", os.getpid()), engine.Holder(4242, "ops-other", "root", "b", "now")
    assert backend.create(first.body()) is True
    assert backend.create(second.body()) is False  # If-None-Match: * on an existing object: 412
    with pytest.raises(engine.LockError, match=r"another run of local is running \(a, pid"):
        engine.acquire(backend, second, name="local")


def test_waiting_takes_the_lock_once_its_holder_releases_it(s3):
    backend = engine.S3Backend(s3, BUCKET, KEY, s3.exceptions.ClientError)
    other = engine.Holder(4242, "ops-other", "root", "log_archive", "2026-12-03T00:30:00Z")
    backend.create(other.body())
    clock = {"now": 0.0}
    polls = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        clock["now"] += seconds
        if len(polls) == 3:  # the log archive ends during the third wait
            s3.delete_object(Bucket=BUCKET, Key=KEY)

    me = engine.this_process("backup", os.getpid())
    result = engine.acquire_waiting(
        backend, me, name="local", wait=600, poll=15, sleep=sleep, monotonic=lambda: clock["now"]
    )
    assert result["changed"] is True and polls == [15, 15, 15]
    assert stored(s3)["play"] == "backup"


def test_waiting_gives_up_after_wait_seconds_naming_the_holder(s3):
    backend = engine.S3Backend(s3, BUCKET, KEY, s3.exceptions.ClientError)
    backend.create(engine.Holder(4242, "ops-other", "root", "log_archive", "x").body())
    clock = {"now": 0.0}

    def sleep(seconds: float) -> None:
        clock["now"] += seconds

    me = engine.this_process("backup", os.getpid())
    with pytest.raises(engine.LockError, match=r"\(log_archive, pid 4242.*\(waited 60 s\)$"):
        engine.acquire_waiting(backend, me, name="local", wait=60, poll=15, sleep=sleep, monotonic=lambda: clock["now"])
    assert clock["now"] == 60


def test_an_unreadable_lock_is_refused_until_stale(s3):
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"not json")
    refused = run_module(module.main, lock_args())
    assert refused["failed"] is True and "unreadable" in refused["msg"]
    backdate(hours=13)
    taken = run_module(module.main, lock_args())
    assert taken["changed"] is True and stored(s3)["pid"] == os.getpid()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "local/../prod"}, "name='local/../prod': a lock name is letters"),
        ({"stale_after": 0}, "stale_after=0: the seconds after which a lock is stale must be positive"),
        ({"holder_pid": -1}, "holder_pid=-1: a pid is positive"),
        ({"wait": -5}, "wait=-5: the seconds to wait for the lock cannot be negative"),
        ({"bucket": ""}, "give the lock a bucket (S3) or a path (file): both are empty"),
    ],
)
def test_bad_input_fails_with_one_line_before_any_call(s3, monkeypatch, args, message):
    with recording_api_calls(monkeypatch) as calls:
        result = run_module(module.main, lock_args(**args))
    assert result["failed"] is True
    assert message in result["msg"] and "\n" not in result["msg"]
    assert calls.calls == []


def test_a_missing_bucket_is_named_in_the_failure(s3):
    result = run_module(module.main, lock_args(bucket="no-such-bucket"))
    assert result["failed"] is True
    assert "the lock of local could not be read or written at s3://no-such-bucket/locks/local.json" in result["msg"]


# --- file backend ---------------------------------------------------------------------------------------


def file_args(path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "name": "local",
        "path": str(path),
        "what": "deploy",
        "play": "site.yml",
        "holder_pid": os.getpid(),
        **extra,
    }


def test_file_lock_take_refuse_take_over_release(tmp_path):
    path = tmp_path / "terraform" / "local" / "deploy.lock"
    taken = run_module(module.main, file_args(path))
    assert taken["changed"] is True and json.loads(path.read_text())["pid"] == os.getpid()
    assert run_module(module.main, file_args(path))["changed"] is False  # idempotent

    path.write_text(json.dumps({"pid": os.getpid(), "host": "ci-runner", "play": "site.yml", "started": "x"}))
    refused = run_module(module.main, file_args(path))
    assert refused["failed"] is True
    assert refused["msg"].startswith(
        f"another deploy of local is running (site.yml, pid {os.getpid()}, started x on ci-runner"
    )

    path.write_text(json.dumps({"pid": dead_pid(), "host": HOST, "play": "site.yml", "started": "x"}))
    content = path.read_bytes()
    would = run_module(module.main, file_args(path), check_mode=True)
    assert would["changed"] is True and path.read_bytes() == content  # check mode wrote nothing
    over = run_module(module.main, file_args(path))
    assert over["changed"] is True and "is gone" in over["outcome"]

    released = run_module(module.main, file_args(path, state="absent"))
    assert released["changed"] is True and not path.exists()
    assert run_module(module.main, file_args(path, state="absent"))["changed"] is False
    assert [p.name for p in path.parent.iterdir()] == []  # no temporary file left behind


def test_file_lock_older_than_stale_after_is_taken_over(tmp_path):
    path = tmp_path / "local.json"
    path.write_text(json.dumps({"pid": os.getpid(), "host": "ci-runner", "play": "backup", "started": "x"}))
    old = path.stat().st_mtime - 13 * 3600
    os.utime(path, (old, old))
    result = run_module(module.main, file_args(path))
    assert result["changed"] is True and result["outcome"].startswith("take over the lock (stale")


def test_the_holder_is_the_outermost_ansible_playbook_process(tmp_path):
    # ansible-playbook (main) -> ansible-playbook (worker, a fork) -> sh -> python (the module)
    script = tmp_path / "ansible-playbook"
    script.write_text(
        "import os, subprocess, sys\n"
        "if len(sys.argv) < 3:\n"
        "    sys.exit(subprocess.call([sys.executable, sys.argv[0], 'worker', str(os.getpid())]))\n"
        "code = 'from ansible_collections.dailyge.infra.plugins.module_utils import run_locks as e; "
        "print(e.playbook_pid())'\n"
        "out = subprocess.check_output(['sh', '-c', f'{sys.executable} -c \"{code}\"'], text=True)\n"
        "print(out.strip(), sys.argv[2])\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True)
    found, main_pid = completed.stdout.split()
    assert found == main_pid
