#!/usr/bin/env bash
# The Debian packages that `make test` and `make local` run for real (Java and Jasypt for the
# config cross-check, Graphviz for the resource graph, venv for the virtualenvs), installed only
# when missing: a second run makes no apt call. Called by `make deps`.
set -euo pipefail

APT_PACKAGES=(make git curl ca-certificates python3-venv default-jdk-headless libjasypt-java graphviz)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#APT_PACKAGES[@]} Debian packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null; then
  SUDO=(sudo)
else
  echo "deps: missing Debian packages ${missing[*]}: run as root or install sudo (apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
