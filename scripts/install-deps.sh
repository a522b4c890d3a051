#!/usr/bin/env bash
# Installs Debian packages from fixed lists, without Node (scripts/test.sh runs it before npm).
#   scripts/install-deps.sh          what building the toolchain needs
#   scripts/install-deps.sh --test   that, plus what the test suite uses as oracles and servers
#   --check                          only says what is missing (exit 1 when anything is)
# Whatever it cannot do (no apt, no root and no sudo, apt-get failing) ends in one line naming the
# missing packages and the command that installs them.
# On a developer machine scripts/bootstrap.sh uses `hermit-toolchain doctor --fix` instead, which
# derives the build's packages from the recipes' `tools` (and checks versions, headers and disk).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

build_packages=(
  build-essential make patch xz-utils zstd bzip2 unzip git ca-certificates
  bison flex texinfo m4 libgmp-dev libmpfr-dev libmpc-dev libisl-dev
  cmake nasm python3 bsdextrautils file dpkg-dev
)
# qemu-system-x86: the end-to-end scripts boot HermitCore programs under QEMU; diffoscope:
# scripts/repro.sh explains a difference with it.
test_packages=(binutils lintian apt gpg nginx zip curl ccache qemu-system-x86 diffoscope)

test=false
check=false
for arg in "$@"; do
  case $arg in
    --test) test=true ;;
    --check) check=true ;;
    *) echo "install-deps: unknown argument $arg (--test, --check)" >&2; exit 2 ;;
  esac
done
packages=("${build_packages[@]}")
$test && packages+=("${test_packages[@]}")

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  echo "install-deps: not a Debian/Ubuntu machine (no dpkg-query or apt-get); install the equivalents of these Debian packages: ${packages[*]}" >&2
  exit 1
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} Debian packages are present"
  exit 0
fi

install_line="apt-get install -y --no-install-recommends ${missing[*]}"
if $check; then
  echo "install-deps: missing Debian packages: ${missing[*]}; install them with scripts/install-deps.sh$($test && echo " --test") (or as root: $install_line)" >&2
  exit 1
fi
if ! can_be_root; then
  echo "install-deps: missing Debian packages: ${missing[*]}; not root and no sudo: as root, run: $install_line" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; then
  echo "install-deps: could not install the missing Debian packages: ${missing[*]}; as root, run: apt-get update && $install_line" >&2
  exit 1
fi
