#!/usr/bin/python
# Copyright: Dailyge Infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build an AWS Lambda deployment zip, byte for byte the same for the same sources."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lambda_package
short_description: Build a reproducible AWS Lambda deployment zip from a source folder
version_added: 0.1.0
description:
  - Zips the files of O(src) into O(dest) so that the same sources always give the same bytes
    (entries sorted, fixed timestamps and permissions), and returns the base64 SHA-256 that Terraform's
    C(aws_lambda_function.source_code_hash) expects. A rebuild from unchanged sources therefore never
    shows as a change in a Terraform plan.
  - Writes O(dest) atomically and only when its content differs; in check mode it writes nothing and
    reports whether it would.
  - Runs on the controller; it reads and writes local files only.
options:
  src:
    description: Folder holding the function's sources (the handler module at its top).
    type: path
    required: true
  dest:
    description: The zip to write. Its folder is created when missing.
    type: path
    required: true
  exclude:
    description:
      - Names (glob patterns) left out of the package, matched against every path component, so a
        folder name leaves out the whole folder.
    type: list
    elements: str
    default: [__pycache__, "*.pyc", events, tests, .*]
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
"""

EXAMPLES = r"""
- name: Build the Slack notifier's package for Terraform
  dailyge.infra.lambda_package:
    src: "{{ dailyge_repo_root }}/lambda/slack_notifier"
    dest: "{{ terraform_work_dir }}/lambda/slack_notifier.zip"
  register: slack_notifier_package

- name: Pass it to Terraform
  ansible.builtin.debug:
    msg: "filename={{ slack_notifier_package.dest }} source_code_hash={{ slack_notifier_package.sha256_base64 }}"
"""

RETURN = r"""
dest:
  description: The zip's path.
  returned: success
  type: str
  sample: /srv/dailyge/.state/terraform/dev/lambda/slack_notifier.zip
sha256_base64:
  description: Base64 of the zip's SHA-256 (what C(filebase64sha256) gives, and what AWS reports as CodeSha256).
  returned: success
  type: str
  sample: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
size_bytes:
  description: Size of the zip.
  returned: success
  type: int
  sample: 2048
files:
  description: The packaged files, relative to O(src), in the zip's order.
  returned: success
  type: list
  elements: str
  sample: [handler.py]
"""

import base64
import fnmatch
import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule

# The earliest date a zip entry can carry: every entry gets it, so the build time never shows.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644


def package_files(src: Path, exclude: list[str]) -> list[Path]:
    """The files under src to package, relative to src, sorted; excluded names are matched per component."""
    selected = []
    for path in src.rglob("*"):
        relative = path.relative_to(src)
        if any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in exclude):
            continue
        if path.is_file():
            selected.append(relative)
    return sorted(selected, key=lambda relative: relative.as_posix())


def build_zip(src: Path, files: list[Path]) -> bytes:
    """The zip of files (relative to src): deterministic entry order, dates, permissions and compression."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for relative in files:
            entry = zipfile.ZipInfo(relative.as_posix(), date_time=ZIP_EPOCH)
            entry.external_attr = (0o100000 | FILE_MODE) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, (src / relative).read_bytes())
    return buffer.getvalue()


def sha256_base64(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


def write_atomically(module: AnsibleModule, dest: Path, content: bytes) -> None:
    """Write through a temporary file beside dest, moved over it by Ansible (readers never see half a zip)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    with os.fdopen(handle, "wb") as stream:
        stream.write(content)
    module.atomic_move(temporary, str(dest))


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "src": {"type": "path", "required": True},
            "dest": {"type": "path", "required": True},
            "exclude": {
                "type": "list",
                "elements": "str",
                "default": ["__pycache__", "*.pyc", "events", "tests", ".*"],
            },
        },
        supports_check_mode=True,
    )
    src, dest = Path(module.params["src"]), Path(module.params["dest"])
    if not src.is_dir():
        module.fail_json(msg=f"Lambda source folder {src} does not exist")
    files = package_files(src, module.params["exclude"])
    if not files:
        module.fail_json(msg=f"Lambda source folder {src} has no file to package")

    content = build_zip(src, files)
    digest = sha256_base64(content)
    current = dest.read_bytes() if dest.is_file() else None
    changed = current != content
    if changed and not module.check_mode:
        try:
            write_atomically(module, dest, content)
        except OSError as exc:
            module.fail_json(msg=f"Cannot write the Lambda package {dest}: {exc.strerror or exc}")
    module.exit_json(
        changed=changed,
        dest=str(dest),
        sha256_base64=digest,
        size_bytes=len(content),
        files=[relative.as_posix() for relative in files],
        diff={
            "before": {"sha256_base64": sha256_base64(current)} if current is not None else {},
            "after": {"sha256_base64": digest},
        },
    )


if __name__ == "__main__":
    main()
