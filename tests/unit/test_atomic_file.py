"""module_utils.atomic_file: a state or record file is replaced whole or not at all.

A full disk is simulated by making the write (or the fsync) fail with ENOSPC, as it does when the
file system has no block left: the old file must be intact and no temporary file left behind.
"""

from __future__ import annotations

import errno
import os

import pytest
from ansible_collections.dailyge.infra.plugins.module_utils import atomic_file

OLD = b'{"job": "backup", "result": "success"}\n'
NEW = b'{"job": "backup", "result": "failure"}\n' * 1000


def full_disk(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_writes_the_new_content_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "jobs" / "backup.json"
    atomic_file.write_atomically(str(target), OLD)
    atomic_file.write_atomically(str(target), NEW)
    assert target.read_bytes() == NEW
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in target.parent.iterdir()) == ["backup.json"]


@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_a_full_disk_leaves_the_old_file_intact(tmp_path, monkeypatch, failing):
    target = tmp_path / "backup.json"
    target.write_bytes(OLD)
    monkeypatch.setattr(atomic_file.os, failing, full_disk)
    with pytest.raises(OSError) as raised:
        atomic_file.write_atomically(str(target), NEW)
    assert raised.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["backup.json"]  # the temporary file is gone


def test_a_short_write_is_completed(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    real_write = os.write
    monkeypatch.setattr(atomic_file.os, "write", lambda fd, data: real_write(fd, bytes(data[:7])))
    atomic_file.write_atomically(str(target), NEW)
    assert target.read_bytes() == NEW


def test_a_failed_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_bytes(OLD)

    def refuse(self, other):
        raise OSError(errno.EROFS, "read-only file system")

    monkeypatch.setattr(atomic_file.Path, "replace", refuse)
    with pytest.raises(OSError):
        atomic_file.write_atomically(str(target), NEW)
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_read_bytes_of_a_missing_file_is_none(tmp_path):
    assert atomic_file.read_bytes(str(tmp_path / "absent.json")) is None
