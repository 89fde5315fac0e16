#!/usr/bin/env bash
# `make sanity`: ansible-test sanity on a copy of the dailyge.infra collection, offline but for PyPI.
# ansible-test needs the collection at ansible_collections/<namespace>/<name> with its dependencies
# beside it, so the copy goes to .cache/sanity/ansible_collections/dailyge/infra next to a link to the
# amazon.aws that the ansible package bundles. HOME points into .cache so that ansible-test's venvs and
# caches stay in the repository, and scripts/ansible_test_pip_bootstrap.py puts the pip bootstrap there.
# Extra arguments go to ansible-test (e.g. scripts/sanity.sh --test pylint).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/.venv/bin
work=$root/.cache/sanity
tree=$work/ansible_collections
site=$("$bin/python" -c 'import ansible_collections.amazon.aws as m; print(list(m.__path__)[0])')

# A fresh copy each run: no stale file or old ansible-test output (its venvs stay under HOME).
rm -rf "$tree/dailyge/infra"
mkdir -p "$tree/dailyge" "$tree/amazon" "$work/home"
cp -a "$root/collections/ansible_collections/dailyge/infra" "$tree/dailyge/infra"
find "$tree/dailyge/infra" -name __pycache__ -prune -exec rm -rf {} +
ln -sfn "$site" "$tree/amazon/aws"
# The copy lies inside this repository's work tree, where git ignores .cache: ansible-test would take the
# file list from the outer repository and find no file. A repository of its own makes it list the copy.
git -C "$tree/dailyge/infra" init --quiet
echo /tests/output/ >"$tree/dailyge/infra/.git/info/exclude" # ansible-test's own output

export HOME=$work/home
"$bin/python" "$root/scripts/ansible_test_pip_bootstrap.py" "$HOME"
cd "$tree/dailyge/infra"
# Every test on the controller's 3.11, then the tests that run on a managed host's Python (compile,
# import) on the modules' floor, 3.9 (Amazon Linux 2023's python3).
pythons=${SANITY_PYTHONS:-3.11 3.9}
# pyenv's shims answer python3.9 only for the versions it is told to use: all that are installed.
if command -v pyenv >/dev/null; then
  PYENV_VERSION=$(pyenv versions --bare | paste -sd: -)
  export PYENV_VERSION
fi
status=0
for python in $pythons; do
  # The interpreter itself, not a shim: ansible-test runs it with an environment of its own.
  interpreter=$(python$python -c 'import sys; print(sys.executable)' 2>/dev/null) \
    || { echo "sanity: python$python not found (install it, or set SANITY_PYTHONS to the versions you have)"; exit 1; }
  echo "== ansible-test sanity --python $python ($interpreter)"
  # Its directory on PATH too, ahead of any shim, for the tests that look python$python up by name.
  tests=()
  [ "$python" = 3.11 ] || tests=(--test compile --test import)
  PATH=$bin:$(dirname "$interpreter"):$PATH \
    "$bin/ansible-test" sanity --venv --python "$python" --python-interpreter "$interpreter" --color no \
    "${tests[@]}" "$@" || status=1
done
exit $status
