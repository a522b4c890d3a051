#!/usr/bin/env bash
# Installs Debian packages from fixed lists, without Node (CI runs it before `npm cit`).
#   scripts/install-deps.sh          what building the toolchain needs
#   scripts/install-deps.sh --test   that, plus what the test suite uses as oracles and servers
# On a developer machine scripts/bootstrap.sh uses `hermit-toolchain doctor --fix` instead, which
# derives the build's packages from the recipes' `tools` (and checks versions, headers and disk).
set -euo pipefail

build_packages=(
  build-essential make patch xz-utils zstd bzip2 unzip git ca-certificates
  bison flex texinfo m4 libgmp-dev libmpfr-dev libmpc-dev libisl-dev
  cmake nasm python3 bsdextrautils file dpkg-dev
)
# qemu-system-x86: the end-to-end scripts boot HermitCore programs under QEMU.
test_packages=(binutils lintian apt gpg nginx zip curl ccache qemu-system-x86)

packages=("${build_packages[@]}")
[[ "${1:-}" == "--test" ]] && packages+=("${test_packages[@]}")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} Debian packages are present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo; missing: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
