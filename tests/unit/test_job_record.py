"""dailyge.infra.job_record: the record of a job run, written atomically; check mode, idempotence, bad input,
and a full disk during the write (the old record intact)."""

from __future__ import annotations

import errno
import json
import os

from ansible_collections.dailyge.infra.plugins.module_utils import atomic_file
from ansible_collections.dailyge.infra.plugins.modules import job_record as module
from module_harness import run_module

RECORD = {"job": "backup", "result": "success", "slack": {"delivered": False, "status": 500, "attempts": 3}}


def test_writes_the_record_then_changes_nothing(tmp_path):
    path = tmp_path / "jobs" / "backup.json"
    first = run_module(module.main, {"path": str(path), "record": RECORD})
    assert first["changed"] is True
    assert json.loads(path.read_text()) == RECORD
    mtime = path.stat().st_mtime_ns
    again = run_module(module.main, {"path": str(path), "record": RECORD})
    assert again["changed"] is False
    assert path.stat().st_mtime_ns == mtime  # nothing written


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "backup.json"
    result = run_module(module.main, {"path": str(path), "record": RECORD}, check_mode=True)
    assert result["changed"] is True and result["diff"]["before"] == ""
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_a_full_disk_keeps_the_previous_record(tmp_path, monkeypatch):
    path = tmp_path / "backup.json"
    run_module(module.main, {"path": str(path), "record": RECORD})
    old = path.read_bytes()

    def full(*_args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic_file.os, "write", full)
    result = run_module(module.main, {"path": str(path), "record": dict(RECORD, result="failure")})
    assert result["failed"] is True
    assert "No space left on device" in result["msg"] and "the previous record is intact" in result["msg"]
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["backup.json"]


def test_bad_input_is_one_line_and_writes_nothing(tmp_path):
    folder = run_module(module.main, {"path": str(tmp_path), "record": RECORD})
    assert folder["failed"] is True and folder["msg"].startswith(f"path={tmp_path}: is a folder")
    mode = run_module(module.main, {"path": str(tmp_path / "x.json"), "record": RECORD, "mode": "rw-r--r--"})
    assert mode["failed"] is True and mode["msg"] == "mode='rw-r--r--': permissions are an octal string such as '0644'"
    assert list(tmp_path.iterdir()) == []
