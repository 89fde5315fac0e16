#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: jasypt_config
short_description: Decrypt, verify or re-encrypt the Jasypt ENC(...) values of a Spring config tree
version_added: "0.1.0"
author:
  - Dailyge infrastructure team (@dailyge)
description:
  - Walks a YAML configuration tree (a file of the config repository, or data) and handles every string
    value written as C(ENC(base64)), byte-compatible with the Jasypt library that the Spring application
    uses (C(jasypt-spring-boot)).
  - O(operation=verify) decrypts every value and returns only the paths; use it in preflights, it needs no
    C(no_log) on the task.
  - O(operation=decrypt) returns the tree with every value decrypted in RV(config). That is plaintext, so
    the module refuses to run unless the task sets C(no_log=true) (see notes).
  - O(operation=reencrypt) re-encrypts every value from O(password)/O(algorithm) to
    O(new_password)/O(new_algorithm) (key rotation). Each new value is decrypted again and compared with
    the plaintext before anything is written; a file is rewritten in place, keeping its comments and
    layout (only the C(ENC(...)) tokens change), atomically and only after the whole file verified.
    Values already readable with the new key are left alone, so an interrupted rotation can be run again.
  - The module reports the property paths it touched (C(spring.datasource.password), C(list[0])), never a
    value. A value that fails fails the task with one message naming the path of every failing value and
    why (wrong password or algorithm, malformed base64, wrong length), never the value itself.
options:
  src:
    description:
      - A YAML file holding one document with a mapping at its top (the Spring C(application.yml)).
      - Exactly one of O(src) and O(content) is required.
    type: path
  content:
    description:
      - The configuration itself, as a mapping or as YAML text, instead of O(src).
    type: raw
  operation:
    description: What to do with the C(ENC(...)) values.
    type: str
    choices: [verify, decrypt, reencrypt]
    default: verify
  password:
    description:
      - The encryption password (the application's C(ENCRYPTOR_KEY)); printable ASCII, as Java requires.
      - Never logged.
    type: str
    required: true
  algorithm:
    description: The Jasypt algorithm the values are encrypted with (case-insensitive).
    type: str
    default: PBEWithMD5AndDES
    choices: [PBEWithMD5AndDES, PBEWITHHMACSHA512ANDAES_256]
  new_password:
    description:
      - O(operation=reencrypt) only, where it is required. The password to encrypt with. Never logged.
    type: str
  new_algorithm:
    description: O(operation=reencrypt) only. The algorithm to encrypt with. Defaults to O(algorithm).
    type: str
    choices: [PBEWithMD5AndDES, PBEWITHHMACSHA512ANDAES_256]
  flatten:
    description:
      - O(operation=decrypt) only. Return RV(config) as Spring's flat property map, one key per property
        (C(spring.datasource.password)), the form a JSON secret read by Spring Cloud AWS holds.
    type: bool
    default: false
  backup:
    description: O(operation=reencrypt) of a O(src) file only. Keep a timestamped copy of the file before rewriting it.
    type: bool
    default: false
notes:
  - B(Plaintext and logs.) Ansible has no way to mark one return value as secret, and masking every plaintext
    in the module's own output would mask RV(config) itself. So with O(operation=decrypt) the module requires
    C(no_log=true) on the task (it fails otherwise). Ansible then hides the whole result (at every
    verbosity, and in callbacks), while the registered variable keeps RV(config) in memory for the next task,
    which must also set C(no_log=true). Never use C(set_fact) with C(cacheable=true) on it, and enable
    pipelining (C(ansible_pipelining=true)) so module arguments are never written to a temporary file.
  - Because a C(no_log) task hides its error message too, run O(operation=verify) first (no C(no_log)
    needed); it fails with the paths and reasons in the clear.
  - A wrong key is found by the padding and UTF-8 checks of each value; like Jasypt itself, a single
    value has a small chance (under 1 in 256) of passing them with a wrong key, which a tree of several
    values makes negligible. O(operation=reencrypt) fails rather than guess when a value reads with both keys.
  - Check mode is supported; O(operation=reencrypt) then reports what would change and writes nothing.
    Diff mode shows the file before and after (ciphertexts only).
attributes:
  check_mode:
    description: Computes the encrypted or rotated tree and reports the change, and writes no file.
    support: full
  diff_mode:
    description: Shows the configuration text before and after the change.
    support: full
requirements:
  - python >= 3.9
  - cryptography
  - PyYAML
seealso:
  - name: Jasypt
    description: The Java library whose ENC(...) values this module reads and writes.
    link: http://www.jasypt.org/
"""

EXAMPLES = r"""
- name: Check that every ENC() value of the environment's config decrypts (no plaintext returned)
  dailyge.infra.jasypt_config:
    src: "{{ dailyge_repo_root }}/config/{{ dailyge_env }}/application.yml"
    password: "{{ secrets_encryptor_key }}"

- name: Decrypt the config as a flat Spring property map (plaintext -> no_log)
  dailyge.infra.jasypt_config:
    src: "{{ dailyge_repo_root }}/config/{{ dailyge_env }}/application.yml"
    operation: decrypt
    flatten: true
    password: "{{ secrets_encryptor_key }}"
  register: app_config
  no_log: true

- name: Rotate the key of a config file in place (verified before writing)
  dailyge.infra.jasypt_config:
    src: config/prod/application.yml
    operation: reencrypt
    password: "{{ lookup('ansible.builtin.env', 'ENCRYPTOR_KEY') }}"
    new_password: "{{ lookup('ansible.builtin.env', 'NEW_ENCRYPTOR_KEY') }}"
    new_algorithm: PBEWITHHMACSHA512ANDAES_256
"""

RETURN = r"""
paths:
  description: Property paths of every C(ENC(...)) value found (verified, decrypted or considered for re-encryption).
  returned: success
  type: list
  elements: str
  sample: [spring.datasource.password, jwt.secret]
config:
  description:
    - The configuration with every value decrypted; flat when O(flatten=true). PLAINTEXT, see notes.
  returned: operation is C(decrypt)
  type: dict
rotated_paths:
  description: Paths re-encrypted with the new key by this run (in check mode, those that would be).
  returned: operation is C(reencrypt)
  type: list
  elements: str
current_paths:
  description: Paths whose value the new key already reads (left as they are).
  returned: operation is C(reencrypt)
  type: list
  elements: str
content:
  description: The re-encrypted configuration (ciphertexts only), when it was given as O(content).
  returned: operation is C(reencrypt) with O(content)
  type: dict
backup_file:
  description: The copy of O(src) made before rewriting it.
  returned: O(backup=true) and the file changed
  type: str
"""

import os
import re
import tempfile
import traceback
from typing import Any

try:
    import yaml
except ImportError:
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.dailyge.infra.plugins.module_utils import config_tree, jasypt

ENC_TOKEN = re.compile(r"ENC\([A-Za-z0-9+/=\s]*\)")


class ConfigError(Exception):
    """A failure of the task; its message never holds a value."""


def load_tree(source: str, text: str) -> Any:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{source} is not valid YAML{where}: {getattr(exc, 'problem', None) or 'parse error'}"
        ) from None
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise ConfigError(f"{source} must hold one YAML document with a mapping at its top")
    return documents[0]


def read_source(module: AnsibleModule) -> tuple[str, str | None, Any]:
    """(name for messages, file text or None, tree)."""
    src = module.params["src"]
    if src is not None:
        try:
            with open(src, encoding="utf-8") as handle:  # noqa: PTH123 - module code keeps to os/open
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {src}: {exc.__class__.__name__}: {getattr(exc, 'strerror', '')}") from None
        return src, text, load_tree(src, text)
    content = module.params["content"]
    if isinstance(content, str):
        return "content", None, load_tree("content", content)
    if not isinstance(content, dict):
        raise ConfigError("content must be a mapping or YAML text")
    return "content", None, content


def decrypter(password: str, algorithm: str) -> config_tree.Transform:
    return lambda _path, value: jasypt.decrypt(value, password, algorithm)


def in_source(source: str, exc: config_tree.ConfigPathError) -> ConfigError:
    return ConfigError(f"{source}: {exc}")


def run_verify_or_decrypt(module: AnsibleModule, source: str, tree: Any) -> dict[str, Any]:
    params = module.params
    plain = config_tree.transform(tree, decrypter(params["password"], params["algorithm"]))
    result: dict[str, Any] = {"changed": False, "paths": config_tree.encrypted_paths(tree)}
    if params["operation"] == "decrypt":
        result["config"] = config_tree.flatten(plain) if params["flatten"] else plain
    return result


class Rotation:
    """Re-encrypt values from the old key to the new one, remembering what happened to each path."""

    def __init__(self, params: dict[str, Any]):
        self.old = (params["password"], params["algorithm"])
        self.new = (params["new_password"], params["new_algorithm"] or params["algorithm"])
        self.rotated: list[str] = []
        self.current: list[str] = []
        self.plaintexts: dict[str, str] = {}

    def __call__(self, path: str, value: str) -> str:
        with_new = _try_decrypt(value, *self.new)
        with_old = _try_decrypt(value, *self.old)
        if with_new is not None and with_old is not None:
            raise jasypt.JasyptDecryptionError("decrypts with both the old and the new key: refusing to guess")
        if with_new is not None:
            self.current.append(path)
            self.plaintexts[path] = with_new
            return value
        if with_old is None:
            jasypt.decrypt(value, *self.old)  # raises the precise reason (format, wrong key)
        rotated = jasypt.encrypt_wrapped(with_old, *self.new)
        if jasypt.decrypt(rotated, *self.new) != with_old:
            raise jasypt.JasyptError("the re-encrypted value does not decrypt back to the same text")
        self.rotated.append(path)
        self.plaintexts[path] = with_old
        return rotated


def _try_decrypt(value: str, password: str, algorithm: str) -> str | None:
    """The plaintext, or None when the value is not (or cannot be) encrypted with this key and algorithm."""
    try:
        return jasypt.decrypt(value, password, algorithm)
    except (jasypt.JasyptFormatError, jasypt.JasyptDecryptionError):
        return None


def rewrite_text(text: str, tree: Any, rotated_tree: Any) -> str:
    """The file text with each old ENC token replaced by its re-encrypted one (comments and layout kept)."""
    replacements: dict[str, str] = {}
    for (_path, old), (_same, new) in zip(
        config_tree.iter_leaves(tree), config_tree.iter_leaves(rotated_tree), strict=True
    ):
        if jasypt.is_encrypted(old) and old != new:
            replacements[old.strip()] = new
    return ENC_TOKEN.sub(lambda match: replacements.get(match.group(0), match.group(0)), text)


def verify_rewritten(source: str, text: str, rotation: Rotation, original: Any) -> None:
    """Parse the new text again: same structure, every ENC value decrypts with the new key to the same text."""
    tree = load_tree(source, text)
    new_password, new_algorithm = rotation.new
    if [path for path, _value in config_tree.iter_leaves(tree)] != [
        path for path, _value in config_tree.iter_leaves(original)
    ]:
        raise ConfigError(f"{source}: the rewritten file does not keep the structure of the original; nothing written")
    for path, value in config_tree.iter_leaves(tree):
        if path in rotation.plaintexts and (
            not jasypt.is_encrypted(value)
            or _try_decrypt(value, new_password, new_algorithm) != rotation.plaintexts[path]
        ):
            raise ConfigError(
                f"{source}: {path} does not round-trip with the new key in the rewritten file; nothing written"
            )


def write_file(module: AnsibleModule, path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))  # noqa: PTH100, PTH120
    handle, temp_path = tempfile.mkstemp(prefix=".jasypt_config.", dir=directory)
    with os.fdopen(handle, "w", encoding="utf-8") as temp:
        temp.write(text)
    module.atomic_move(temp_path, path)


def run_reencrypt(module: AnsibleModule, source: str, text: str | None, tree: Any) -> dict[str, Any]:
    params = module.params
    if (
        params["new_password"] == params["password"]
        and (params["new_algorithm"] or params["algorithm"]) == params["algorithm"]
    ):
        raise ConfigError("new_password and new_algorithm are the current ones: nothing to rotate")
    rotation = Rotation(params)
    rotated_tree = config_tree.transform(tree, rotation)
    result: dict[str, Any] = {
        "changed": bool(rotation.rotated),
        "paths": config_tree.encrypted_paths(tree),
        "rotated_paths": rotation.rotated,
        "current_paths": rotation.current,
    }
    if text is None:
        result["content"] = rotated_tree
        return result
    new_text = rewrite_text(text, tree, rotated_tree) if rotation.rotated else text
    if rotation.rotated:
        verify_rewritten(source, new_text, rotation, tree)
    if module._diff:
        result["diff"] = {"before": text, "after": new_text, "before_header": source, "after_header": source}
    if rotation.rotated and not module.check_mode:
        if params["backup"]:
            result["backup_file"] = module.backup_local(source)
        write_file(module, source, new_text)
    return result


def check_options(module: AnsibleModule) -> None:
    params = module.params
    for option in ("algorithm", "new_algorithm"):
        if params[option] is not None:
            params[option] = jasypt.canonical_algorithm(params[option])
    if params["operation"] == "decrypt" and not module.no_log:
        raise ConfigError(
            "operation=decrypt returns plaintext: set no_log: true on this task "
            "(use operation=verify to check values without returning them)"
        )


def main() -> None:
    algorithms = list(jasypt.ALGORITHMS)
    module = AnsibleModule(
        argument_spec={
            "src": {"type": "path"},
            "content": {"type": "raw"},
            "operation": {"type": "str", "choices": ["verify", "decrypt", "reencrypt"], "default": "verify"},
            "password": {"type": "str", "required": True, "no_log": True},
            "algorithm": {"type": "str", "default": jasypt.DEFAULT_ALGORITHM, "choices": algorithms},
            "new_password": {"type": "str", "no_log": True},
            "new_algorithm": {"type": "str", "choices": algorithms},
            "flatten": {"type": "bool", "default": False},
            "backup": {"type": "bool", "default": False},
        },
        mutually_exclusive=[("src", "content")],
        required_one_of=[("src", "content")],
        required_if=[("operation", "reencrypt", ("new_password",))],
        supports_check_mode=True,
    )
    if YAML_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)
    if not jasypt.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=str(jasypt.CRYPTOGRAPHY_IMPORT_ERROR))
    try:
        check_options(module)
        source, text, tree = read_source(module)
        try:
            if module.params["operation"] == "reencrypt":
                result = run_reencrypt(module, source, text, tree)
            else:
                result = run_verify_or_decrypt(module, source, tree)
        except config_tree.ConfigPathError as exc:
            raise in_source(source, exc) from None
    except (ConfigError, jasypt.JasyptError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
