# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Walk a Spring configuration tree (parsed YAML) and transform its ENC(...) values.

Paths are named as Spring names properties: maps joined with dots, list items as ``[index]``
(``spring.datasource.password``, ``cors.origins[0]``). Functions here never put a value in an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ansible_collections.dailyge.infra.plugins.module_utils import jasypt

Transform = Callable[[str, str], Any]


class ConfigPathError(ValueError):
    """A value of the tree failed; the message names its path, never the value."""

    def __init__(self, failures: list[tuple[str, str]]):
        self.failures = failures
        shown = "; ".join(f"{path}: {reason}" for path, reason in failures[:10])
        more = f"; and {len(failures) - 10} more" if len(failures) > 10 else ""
        noun = "value" if len(failures) == 1 else "values"
        super().__init__(f"{len(failures)} config {noun} failed: {shown}{more}")


def join_path(parent: str, key: object) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def iter_leaves(tree: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar of the tree with its property path (empty maps and lists are leaves too)."""
    if isinstance(tree, dict) and tree:
        for key, value in tree.items():
            yield from iter_leaves(value, join_path(path, key))
    elif isinstance(tree, list) and tree:
        for index, value in enumerate(tree):
            yield from iter_leaves(value, join_path(path, index))
    else:
        yield path, tree


def encrypted_paths(tree: Any) -> list[str]:
    """Paths of the ENC(...) values, in document order."""
    return [path for path, value in iter_leaves(tree) if jasypt.is_encrypted(value)]


def transform(tree: Any, function: Transform, path: str = "") -> Any:
    """A copy of the tree with function(path, value) applied to each ENC(...) value.

    Every failure (a JasyptError) is collected, then raised once as ConfigPathError naming each path.
    """
    failures: list[tuple[str, str]] = []
    result = _transform(tree, function, path, failures)
    if failures:
        raise ConfigPathError(failures)
    return result


def _transform(tree: Any, function: Transform, path: str, failures: list[tuple[str, str]]) -> Any:
    if isinstance(tree, dict):
        return {key: _transform(value, function, join_path(path, key), failures) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_transform(value, function, join_path(path, index), failures) for index, value in enumerate(tree)]
    if not jasypt.is_encrypted(tree):
        return tree
    try:
        return function(path, tree)
    except jasypt.JasyptError as exc:
        failures.append((path or "(document)", str(exc)))
        return tree


def flatten(tree: Any) -> dict[str, Any]:
    """The tree as Spring's flat property map (what a JSON secret read by Spring Cloud AWS holds)."""
    if not isinstance(tree, dict):
        raise ValueError(f"the config must be a mapping at its top, not {type(tree).__name__}")
    return dict(iter_leaves(tree))
