"""dailyge.infra.lambda_package: a reproducible Lambda zip; check mode, idempotence, bad input.

The zip must be byte for byte the same for the same sources (whatever the files' dates), because its
SHA-256 is Terraform's `source_code_hash`: a different hash for the same code would show in every plan.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import sys
import zipfile
from pathlib import Path

import pytest
from ansible_collections.dailyge.infra.plugins.modules import lambda_package
from module_runner import run_module

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTIFIER = REPO_ROOT / "lambda" / "slack_notifier"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "function"
    (folder / "events").mkdir(parents=True)
    (folder / "__pycache__").mkdir()
    (folder / "lib").mkdir()
    (folder / "handler.py").write_text("def handler(event, context=None):\n    return {'ok': True}\n")
    (folder / "lib" / "helpers.py").write_text("ANSWER = 42\n")
    (folder / "events" / "sample.json").write_text("{}\n")
    (folder / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\0compiled")
    (folder / ".hidden").write_text("editor state\n")
    return folder


def build(src: Path, dest: Path, capsys: pytest.CaptureFixture[str], **extra: object) -> dict:
    args = {"src": str(src), "dest": str(dest)}
    return run_module(lambda_package, args | extra, capsys)


def test_builds_the_zip_of_the_sources_and_its_terraform_hash(src: Path, tmp_path: Path, capsys) -> None:
    dest = tmp_path / "out" / "function.zip"
    result = build(src, dest, capsys)

    assert result["changed"] is True
    content = dest.read_bytes()
    assert result["sha256_base64"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert result["size_bytes"] == len(content)
    with zipfile.ZipFile(dest) as archive:
        assert archive.namelist() == ["handler.py", "lib/helpers.py"] == result["files"]
        assert archive.read("lib/helpers.py") == b"ANSWER = 42\n"
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {entry.external_attr >> 16 for entry in archive.infolist()} == {0o100644}


def test_the_same_sources_give_the_same_bytes_whatever_their_dates(src: Path, tmp_path: Path, capsys) -> None:
    first = tmp_path / "first.zip"
    build(src, first, capsys)
    for path in src.rglob("*"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    second = tmp_path / "second.zip"
    build(src, second, capsys)
    assert first.read_bytes() == second.read_bytes()


def test_a_second_run_changes_nothing_and_writes_nothing(src: Path, tmp_path: Path, capsys) -> None:
    dest = tmp_path / "function.zip"
    first = build(src, dest, capsys)
    os.utime(dest, (1_000_000_000, 1_000_000_000))
    inode = dest.stat().st_ino

    second = build(src, dest, capsys)

    assert second["changed"] is False
    assert second["sha256_base64"] == first["sha256_base64"]
    assert dest.stat().st_mtime == 1_000_000_000 and dest.stat().st_ino == inode


def test_a_changed_source_rebuilds_with_a_new_hash(src: Path, tmp_path: Path, capsys) -> None:
    dest = tmp_path / "function.zip"
    first = build(src, dest, capsys)
    (src / "handler.py").write_text("def handler(event, context=None):\n    return {'ok': False}\n")

    second = build(src, dest, capsys, _ansible_diff=True)

    assert second["changed"] is True
    assert second["sha256_base64"] != first["sha256_base64"]
    assert second["diff"] == {
        "before": {"sha256_base64": first["sha256_base64"]},
        "after": {"sha256_base64": second["sha256_base64"]},
    }


def test_check_mode_reports_the_build_and_writes_nothing(src: Path, tmp_path: Path, capsys) -> None:
    dest = tmp_path / "out" / "function.zip"
    result = build(src, dest, capsys, _ansible_check_mode=True)
    assert result["changed"] is True
    assert not dest.exists() and not dest.parent.exists()

    build(src, dest, capsys)
    (src / "handler.py").write_text("# changed\n")
    before = dest.read_bytes()
    result = build(src, dest, capsys, _ansible_check_mode=True)
    assert result["changed"] is True and dest.read_bytes() == before


@pytest.mark.parametrize(
    ("make_src", "message"),
    [
        (lambda root: root / "missing", "does not exist"),
        (lambda root: (root / "empty").mkdir() or root / "empty", "has no file to package"),
    ],
    ids=["missing folder", "empty folder"],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, capsys, make_src, message: str) -> None:
    dest = tmp_path / "function.zip"
    result = build(make_src(tmp_path), dest, capsys)
    assert result["failed"] is True
    assert message in result["msg"] and "\n" not in result["msg"]
    assert not dest.exists()


def test_the_notifier_package_runs_as_lambda_would_load_it(tmp_path: Path, capsys) -> None:
    """The real package: Terraform's handler "handler.handler" is importable from the zip's root."""
    dest = tmp_path / "slack_notifier.zip"
    result = build(NOTIFIER, dest, capsys)
    assert result["files"] == ["handler.py"]

    extracted = tmp_path / "task"
    with zipfile.ZipFile(dest) as archive:
        archive.extractall(extracted)
    spec = importlib.util.spec_from_file_location("packaged_handler", extracted / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["packaged_handler"] = module
    try:
        spec.loader.exec_module(module)
        assert callable(module.handler)
    finally:
        del sys.modules["packaged_handler"]
