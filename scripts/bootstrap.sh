#!/usr/bin/env bash
# Brings a fresh Debian/Ubuntu machine to a built toolchain: host packages, Node dependencies,
# then the toolchain and its packages in ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
npm ci
npx hermit-toolchain build "$@"
