"""Give `ansible-test --venv` its pip bootstrap from PyPI, so sanity runs on a machine that reaches only PyPI.

ansible-test bootstraps pip into each virtual environment it creates by running a get-pip script it downloads
from its own file host (ansible_test/_util/target/setup/requirements.py, bootstrap()). It first looks for a
cached copy at ~/.ansible/test/cache/get_pip_<version>.py and runs it as
`python get_pip_<version>.py --disable-pip-version-check pip==<version> --no-setuptools --no-wheel`.

This script downloads the pip wheel of that exact version from PyPI (with the project's pip) and writes, in
that cache, a small stand-in for get-pip: it runs pip from the wheel to install pip from the same wheel,
with no index. Usage: python scripts/ansible_test_pip_bootstrap.py HOME_DIR (the HOME ansible-test runs with).
"""

import pathlib
import re
import subprocess
import sys

import ansible_test

STAND_IN = '''"""get-pip stand-in written by scripts/ansible_test_pip_bootstrap.py: installs pip from a local wheel."""
import sys

WHEEL = {wheel!r}
sys.path.insert(0, WHEEL)

from pip._internal.cli.main import main  # noqa: E402

# get-pip's own options have no pip equivalent: no setuptools or wheel is installed anyway.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--no-index", "--find-links", {wheel_dir!r}] + args))
'''


def ansible_test_pip_version() -> str:
    source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    match = re.search(r"default_packages = dict\(\s*pip='([^']+)'", source.read_text())
    if not match:
        raise SystemExit(f"cannot find ansible-test's pip version in {source}")
    return match.group(1)


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit("usage: ansible_test_pip_bootstrap.py HOME_DIR")
    home = pathlib.Path(sys.argv[1]).resolve()
    version = ansible_test_pip_version()
    wheel_dir = home / ".ansible" / "test" / "cache" / "pip-wheels"
    wheels = sorted(wheel_dir.glob(f"pip-{version}-*.whl"))
    if not wheels:
        wheel_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
             "--dest", str(wheel_dir), f"pip=={version}"],
            check=True,
        )  # fmt: skip
        wheels = sorted(wheel_dir.glob(f"pip-{version}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip {version} wheel not found in {wheel_dir} after download")
    script = home / ".ansible" / "test" / "cache" / f"get_pip_{version.replace('.', '_')}.py"
    script.write_text(STAND_IN.format(wheel=str(wheels[0]), wheel_dir=str(wheel_dir)))
    print(f"ansible-test pip {version} bootstrap: {script} (wheel {wheels[0].name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
