#!/usr/bin/env bash
# The test suite on a fresh Debian/Ubuntu machine from a clean clone, in one command (the README's,
# and CI's): Node.js, the Debian packages the tests use as oracles and servers (through sudo when
# not root), the Node dependencies, then `npm test`. Whatever it cannot install it names in one
# line with the command that would. Arguments go to vitest (e.g. scripts/test.sh test/ui).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/common.sh
source scripts/common.sh

ensure_node
scripts/install-deps.sh --test
# Debian's PATH for users has no sbin folders, where nginx and ldconfig are.
export PATH="$PATH:/usr/sbin:/sbin"
echo "test: npm ci"
npm ci --no-audit --no-fund
npm test -- "$@"
