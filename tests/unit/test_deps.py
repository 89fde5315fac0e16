"""scripts/deps.sh (make deps): installs the missing Debian packages, and makes no apt call when all are present.

dpkg-query, apt-get, id and sudo are replaced by recording fakes on PATH, so the tests run anywhere.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "deps.sh"
PACKAGES = [
    *("make", "git", "curl", "ca-certificates", "python3-venv"),
    *("default-jdk-headless", "libjasypt-java", "graphviz"),
]


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/bash\n" + body + "\n")
    path.chmod(0o755)


def run_deps(
    tmp_path: Path, installed: list[str], uid: int = 0, sudo: bool = False
) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    (tmp_path / "installed").write_text("\n".join(installed) + "\n")
    fake(
        bin_dir,
        "dpkg-query",
        f'pkg="${{@: -1}}"; grep -qx "$pkg" {tmp_path}/installed && echo -n "install ok installed" || exit 1',
    )
    fake(bin_dir, "apt-get", f'echo "apt-get $*" >> {calls}')
    fake(bin_dir, "id", f"echo {uid}")
    if sudo:
        fake(bin_dir, "sudo", f'echo "sudo" >> {calls}; "$@"')
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    if not sudo:
        # /usr/bin may hold a real sudo: hide it behind a PATH with only the fakes and the shell's basics
        for tool in ("bash", "grep", "cat"):
            real = subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
            (bin_dir / tool).symlink_to(real)
        env["PATH"] = str(bin_dir)
    result = subprocess.run(["/bin/bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    return result, calls.read_text().splitlines() if calls.exists() else []


def test_all_present_makes_no_apt_call(tmp_path: Path):
    result, calls = run_deps(tmp_path, PACKAGES)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"deps: all {len(PACKAGES)} Debian packages present"
    assert calls == []


def test_missing_packages_are_installed_and_only_those(tmp_path: Path):
    result, calls = run_deps(tmp_path, [p for p in PACKAGES if p not in ("graphviz", "libjasypt-java")])

    assert result.returncode == 0, result.stderr
    assert "deps: installing libjasypt-java graphviz" in result.stdout
    assert calls == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends libjasypt-java graphviz",
    ]


def test_a_user_goes_through_sudo(tmp_path: Path):
    result, calls = run_deps(tmp_path, [p for p in PACKAGES if p != "graphviz"], uid=1000, sudo=True)

    assert result.returncode == 0, result.stderr
    assert calls == ["sudo", "apt-get update -qq", "sudo", "apt-get install -y -qq --no-install-recommends graphviz"]


def test_a_user_without_sudo_gets_one_line_naming_what_is_missing(tmp_path: Path):
    result, calls = run_deps(tmp_path, [p for p in PACKAGES if p != "graphviz"], uid=1000)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "deps: missing Debian packages graphviz: run as root or install sudo (apt-get install graphviz)"
    ]
    assert calls == []


@pytest.mark.parametrize("target", ["test", "local"])
def test_make_test_and_make_local_set_themselves_up(target: str):
    # Not the caller's make: `make test` runs this test, and a sub-make would print its directory first.
    env = {key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    plan = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "bash scripts/deps.sh" in plan.splitlines()[0]
