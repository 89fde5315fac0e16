# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a state or record file so that a reader sees the old file or the new one, never half of one.

The content goes to a temporary file in the same folder, is flushed and fsync-ed, and only then is
renamed over the target (rename is atomic within one file system); the folder is fsync-ed after the
rename so that the new name survives a crash. When anything fails - a full disk (ENOSPC) on write or
fsync, a read-only file system - the temporary file is removed and the old file is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: str, content: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `content` atomically (temp file + fsync + rename); the old file survives any error."""
    target = Path(path).absolute()
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            view = memoryview(content)
            while view:  # os.write may write less than asked (and raises ENOSPC when the disk is full)
                written = os.write(stream.fileno(), view)
                view = view[written:]
            os.fsync(stream.fileno())
        temporary.chmod(mode)
        temporary.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsync-ed
        folder_handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_handle)
        finally:
            os.close(folder_handle)


def read_bytes(path: str) -> bytes | None:
    """The content of `path`, or None when it does not exist."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None
