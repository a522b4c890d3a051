#!/usr/bin/env bash
# Brings a fresh Debian/Ubuntu machine from a clean clone to a built toolchain and its packages:
#   1. Node.js >= 20.19 and npm (from apt when they are missing or too old),
#   2. the Node dependencies (npm ci, which also compiles the CLI),
#   3. the host prerequisites the recipes need: `hermit-toolchain doctor`, and `doctor --fix`
#      (as root, through sudo when needed) when something is missing,
#   4. the toolchain, its .deb packages and their apt index: `hermit-toolchain build` -> build/out.
# With --install it then installs them on this machine (`hermit-toolchain bootstrap --from
# build/out`: /opt/hermit, PATH through /etc/profile.d). `--mirror DIR|URL` names a premirror of
# the HermitCore sources for a machine that cannot reach GitHub (e.g. ../shared/sources: archives
# verified by the recipes' sha256). --toolchain, --work and --cache are the CLI's own options.
# Other arguments go to the build (recipe names, -j N, --keep-going).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/common.sh
source scripts/common.sh

install=false
work=build
build_args=()
global_args=()
while (($#)); do
  case $1 in
    --install) install=true; shift ;;
    --mirror | --toolchain | --cache) global_args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --work) work=${2:?--work needs a folder}; global_args+=(--work "$work"); shift 2 ;;
    *) build_args+=("$1"); shift ;;
  esac
done

ensure_node

echo "bootstrap: npm ci"
npm ci --no-audit --no-fund

cli=(bin/hermit-toolchain.cjs "${global_args[@]}")
echo "bootstrap: hermit-toolchain doctor"
if ! "${cli[@]}" doctor; then
  echo "bootstrap: hermit-toolchain doctor --fix"
  as_root "$(command -v node)" bin/hermit-toolchain.cjs "${global_args[@]}" doctor --fix
fi

# Every source first: what cannot be fetched is said in one line, with the way out.
echo "bootstrap: hermit-toolchain fetch"
mkdir -p "$work"
if ! "${cli[@]}" fetch > "$work/fetch.log" 2>&1; then
  failed=$(sed -n 's/^FAILED  \([^:]*\):fetch.*/\1/p' "$work/fetch.log" | sort -u | paste -sd ' ')
  echo "bootstrap: could not fetch the sources of ${failed:-some recipes} (see $work/fetch.log); without GitHub, give local copies with --mirror DIR: a folder of <repository>-<commit>.tar.gz archives, checked against the recipes' sha256 (README, Sources)" >&2
  exit 1
fi

echo "bootstrap: hermit-toolchain build ${build_args[*]}"
"${cli[@]}" build "${build_args[@]}"

if $install; then
  echo "bootstrap: hermit-toolchain bootstrap --from $work/out"
  as_root "$(command -v node)" bin/hermit-toolchain.cjs "${global_args[@]}" bootstrap --from "$work/out"
else
  echo "bootstrap: packages and apt index in $work/out; install them here with:"
  echo "  sudo npx hermit-toolchain bootstrap --from $work/out"
fi
