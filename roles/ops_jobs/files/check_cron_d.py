#!/usr/bin/env python3
"""Check a file for /etc/cron.d before it is installed:  check-cron-d <file>  (exit 0 when valid).

Used as the `validate:` command of roles/ops_jobs' cron template, so a broken entry never reaches
cron (which would silently skip the whole file). A line is a comment, blank, an environment
assignment (NAME=value) or an entry: five time fields, the user, the command. Time fields accept
`*`, numbers in range, lists, ranges and steps; the command must not hold an unescaped `%` (cron
turns it into a newline). Python 3 standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
NAMES = ("minute", "hour", "day of month", "month", "day of week")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")
USER = re.compile(r"^[a-z_][a-z0-9_-]*\$?$")


def field_errors(text: str, low: int, high: int) -> bool:
    """True when a cron time field is invalid."""
    for part in text.split(","):
        body, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return True
        if body == "*":
            continue
        first, _, last = body.partition("-")
        numbers = [first] + ([last] if last else [])
        if not all(number.isdigit() and low <= int(number) <= high for number in numbers):
            return True
        if last and int(first) > int(last):
            return True
    return False


def problems(content: str) -> list[str]:
    found: list[str] = []
    if content and not content.endswith("\n"):
        found.append("the file must end with a newline (cron ignores a last line without one)")
    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or ASSIGNMENT.match(line):
            continue
        fields = line.split(None, 6)
        if len(fields) < 7:
            found.append(f"line {number}: an entry needs 5 time fields, a user and a command")
            continue
        for text, (low, high), name in zip(fields[:5], RANGES, NAMES):  # noqa: B905 - Python 3.9 hosts
            if field_errors(text, low, high):
                found.append(f"line {number}: invalid {name} field '{text}'")
        if not USER.match(fields[5]):
            found.append(f"line {number}: '{fields[5]}' is not a user name")
        if re.search(r"(?<!\\)%", fields[6]):
            found.append(f"line {number}: unescaped % in the command (cron reads it as a newline)")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check-cron-d <file>", file=sys.stderr)
        return 2
    found = problems(Path(argv[1]).read_text(encoding="utf-8"))
    for problem in found:
        print(f"{argv[1]}: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
