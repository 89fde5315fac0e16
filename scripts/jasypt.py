#!/usr/bin/env python3
"""Encrypt or decrypt one config value the way Jasypt (and the Spring application) does.

    ENCRYPTOR_KEY=... scripts/jasypt.py encrypt --algorithm PBEWithMD5AndDES 'plaintext'   # -> ENC(...)
    ENCRYPTOR_KEY=... scripts/jasypt.py decrypt --algorithm PBEWithMD5AndDES 'ENC(...)'    # -> plaintext
    printf %s 'plaintext' | scripts/jasypt.py encrypt --algorithm PBEWithMD5AndDES -        # value from stdin

The password is read from an environment variable (default ENCRYPTOR_KEY, the name the application
reads), never from the command line. VALUE `-` reads the value from standard input (keeps plaintext out
of the shell history; one trailing newline is dropped). The result alone goes to stdout; an error is one
line on stderr and the exit code is 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "collections"))

from ansible_collections.dailyge.infra.plugins.module_utils import jasypt


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="jasypt.py",
        allow_abbrev=False,
        description=__doc__.splitlines()[0],
        epilog=f"algorithms: {', '.join(jasypt.ALGORITHMS)} (case-insensitive)",
    )
    parser.add_argument("operation", choices=("encrypt", "decrypt"))
    parser.add_argument("--algorithm", required=True, help="Jasypt algorithm, e.g. PBEWithMD5AndDES")
    parser.add_argument(
        "--password-env", default="ENCRYPTOR_KEY", metavar="VAR", help="environment variable holding the password"
    )
    parser.add_argument("value", metavar="VALUE", help="the value; ENC(...) or bare base64 to decrypt; - for stdin")
    return parser.parse_args(argv)


def read_value(raw: str) -> str:
    if raw == "-":
        data = sys.stdin.buffer.read().decode("utf-8")
        return data[:-1] if data.endswith("\n") else data
    # argv arrives decoded with surrogateescape: re-encode to get the exact bytes, then insist on UTF-8.
    return os.fsencode(raw).decode("utf-8")


def run(args: argparse.Namespace, environ: dict[str, str]) -> str:
    password = environ.get(args.password_env, "")
    if not password:
        raise jasypt.JasyptPasswordError(f"environment variable {args.password_env} is not set or empty")
    algorithm = jasypt.canonical_algorithm(args.algorithm)
    value = read_value(args.value)
    if args.operation == "encrypt":
        return jasypt.encrypt_wrapped(value, password, algorithm)
    return jasypt.decrypt(value, password, algorithm)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = run(args, dict(os.environ))
    except UnicodeDecodeError:
        print("jasypt.py: the value is not UTF-8 text", file=sys.stderr)
        return 1
    except jasypt.JasyptError as exc:
        print(f"jasypt.py: {args.operation} failed: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(result.encode("utf-8") + b"\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
