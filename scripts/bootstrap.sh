#!/usr/bin/env bash
# Brings a fresh Debian/Ubuntu machine from a clean clone to a built toolchain and its packages:
#   1. Node.js >= 20.19 and npm (from apt when they are missing or too old),
#   2. the Node dependencies (npm ci, which also compiles the CLI),
#   3. the host prerequisites the recipes need: `hermit-toolchain doctor`, and `doctor --fix`
#      (as root, through sudo when needed) when something is missing,
#   4. the toolchain, its .deb packages and their apt index: `hermit-toolchain build` -> build/out.
# With --install it then installs them on this machine (`hermit-toolchain bootstrap --from
# build/out`: /opt/hermit, PATH through /etc/profile.d). Other arguments go to the build
# (recipe names, -j N, --keep-going).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/common.sh
source scripts/common.sh

install=false
build_args=()
for arg in "$@"; do
  if [[ "$arg" == --install ]]; then install=true; else build_args+=("$arg"); fi
done

ensure_node

echo "bootstrap: npm ci"
npm ci --no-audit --no-fund

cli=(node bin/hermit-toolchain.js)
echo "bootstrap: hermit-toolchain doctor"
if ! "${cli[@]}" doctor; then
  echo "bootstrap: hermit-toolchain doctor --fix"
  as_root "$(command -v node)" bin/hermit-toolchain.js doctor --fix
fi

echo "bootstrap: hermit-toolchain build ${build_args[*]}"
"${cli[@]}" build "${build_args[@]}"

if $install; then
  echo "bootstrap: hermit-toolchain bootstrap --from build/out"
  as_root "$(command -v node)" bin/hermit-toolchain.js bootstrap --from build/out
else
  echo "bootstrap: packages and apt index in build/out; install them here with:"
  echo "  sudo npx hermit-toolchain bootstrap --from build/out"
fi
