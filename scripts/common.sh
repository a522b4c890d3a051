# Sourced by the scripts beside it (not run): running as root, and Node.js for the CLI and tests.
# Messages start with the sourcing script's name, so a failure says which script stopped.
me=$(basename "$0" .sh)

can_be_root() {
  [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null
}

# Runs a command as root: directly, through sudo, or not at all (one line saying what it needed).
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "$me: this step needs root and there is no sudo: $*" >&2
    exit 1
  fi
}

node_ok() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)'
}

# Node.js >= 20.19 and npm, from apt when they are missing or too old. Debian 12 and Ubuntu 24.04
# ship an older Node.js (and without root apt cannot help): the one line says where to get one.
ensure_node() {
  node_ok && return 0
  if can_be_root && command -v apt-get >/dev/null; then
    echo "$me: installing Node.js and npm with apt-get"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm ca-certificates
    node_ok && return 0
  fi
  echo "$me: Node.js here is $(node --version 2>/dev/null || echo missing) and hermit-toolchain needs >= 20.19: install Node.js 20 or newer (Debian 13 ships one; elsewhere e.g. from nodejs.org), then run this again" >&2
  exit 1
}
