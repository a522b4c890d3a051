#!/usr/bin/env bash
# End-to-end proof of the GNU part of the toolchain, from a clean work directory:
#   1. builds binutils → gcc-compilers → newlib with hermit-toolchain, from the pinned releases
#      (Debian's verified copies when the upstream sites are unreachable);
#   2. checks the result with the built tools (OS/ABI of objects, __hermit__, a freestanding
#      link at 0x800000, elfedit/readelf OS/ABI names, newlib's syscall layer, crt0.o);
#   3. packages it, installs the packages with dpkg into a private root, and checks again with
#      the installed tools.
# It takes an hour or more on 2 cores; `--only binutils` (what CI runs) takes minutes.
#
#   scripts/e2e-gnu.sh [--only binutils] [--work DIR] [--jobs N]
#
# Downloads go to the usual cache (reused between runs); everything else to the work directory
# (default: a new folder under /var/tmp), which is emptied first.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
only=all
work=
jobs=$(nproc)
while (($#)); do
  case $1 in
    --only) only=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "e2e-gnu: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $only == all || $only == binutils ]] || { echo "e2e-gnu: --only takes binutils" >&2; exit 2; }
work=${work:-$(mktemp -d /var/tmp/hermit-e2e-gnu.XXXXXX)}
rm -rf "$work/build" "$work/tools" "$work/root" "$work/check" "$work/extra"
mkdir -p "$work/check"

[[ -f $repo/dist/cli.js ]] || (cd "$repo" && npm run build --silent)
ht() { "$repo/bin/hermit-toolchain.cjs" --work "$work/build" --jobs "$jobs" "$@"; }
target=x86_64-hermit
osabi_name=$(sed -n 's/^osabi: *//p' "$repo/toolchain.yaml" 2>/dev/null || true)
osabi_name=${osabi_name:-Standalone}

failures=0
pass() { printf '  ok    %s\n' "$1"; }
fail() { printf '  FAIL  %s\n' "$1"; failures=$((failures + 1)); }
# check DESCRIPTION COMMAND...: runs the command, ok when it exits 0.
check() {
  local what=$1; shift
  if "$@" > "$work/check/last.log" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/        | /' "$work/check/last.log" | tail -15; fi
}
osabi_of() { "$target-readelf" -h "$1" | sed -n 's/^ *OS\/ABI: *//p' | head -1; }
has_osabi() { local got; got=$(osabi_of "$1"); [[ $got == *"$2"* ]] || { echo "$1: OS/ABI is '$got', wanted '$2'"; return 1; }; }

declare -A seconds
build() {
  local recipe=$1 started
  started=$(date +%s)
  echo "== building $recipe"
  # --no-artifact-cache: the proof is a real build, never a restore from an earlier run.
  ht build --no-artifact-cache "$recipe" | grep -E '^(summary|start|done|FAILED)' | sed 's/^/   /'
  seconds[$recipe]=$(($(date +%s) - started))
}

# The checks; each returns non-zero (and says why) when it fails.
as_osabi() { "$target-as" -o "$1.o" "$1.s" && has_osabi "$1.o" "$osabi_name"; }
entry_at_800000() { "$target-readelf" -h "$1" | grep -q 'Entry point address: *0x800000'; }
ld_freestanding() { "$target-ld" -o "$1" "$1.o" && entry_at_800000 "$1"; }
elfedit_name() { "$target-elfedit" --output-osabi "$2" "$1" && "$target-readelf" -h "$1" | grep -q "OS/ABI: *$3"; }
cc_osabi() { "$1" -O2 -c -o "$2.o" "$2" && has_osabi "$2.o" "$osabi_name"; }
predefines_hermit() { "$target-gcc" -dM -E - < /dev/null | grep -q '#define __hermit__ 1'; }
gcc_freestanding() { "$target-gcc" -nostdlib -static -o "$1" "$1.c" && entry_at_800000 "$1"; }
write_reaches_sys_write() {
  "$target-nm" -A "$1" > "$work/check/nm.txt"
  grep -q ' T write$' "$work/check/nm.txt" && grep -q ' T _write_r$' "$work/check/nm.txt" && grep -q ' U sys_write$' "$work/check/nm.txt"
}

binutils_checks() {
  local dir=$work/check
  printf '\t.text\n\t.globl _start\n_start:\n\tmovl $60, %%eax\n\tsyscall\n' > "$dir/start.s"
  check "as: objects carry OS/ABI $osabi_name" as_osabi "$dir/start"
  check "ld: a freestanding program links with its entry at 0x800000" ld_freestanding "$dir/start"
  check "ld: the default emulation is elf_x86_64_hermit" sh -c "$target-ld -V | grep -q elf_x86_64_hermit"
  cp "$dir/start.o" "$dir/edit.o"
  check "elfedit accepts HermitCore and readelf names it" elfedit_name "$dir/edit.o" HermitCore HermitCore
  check "elfedit accepts Standalone and readelf names it" elfedit_name "$dir/edit.o" Standalone 'Standalone App'
}

compiler_checks() {
  local dir=$work/check sysroot=$1
  printf 'int answer(void) { return 42; }\n' > "$dir/c.c"
  printf 'struct A { virtual int f() { return 1; } };\nint use(A &a) { return a.f(); }\n' > "$dir/cxx.cc"
  printf 'void _start(void) { for (;;) ; }\n' > "$dir/free.c"
  check "gcc compiles C to an object with OS/ABI $osabi_name" cc_osabi "$target-gcc" "$dir/c.c"
  check "g++ compiles C++ to an object with OS/ABI $osabi_name" cc_osabi "$target-g++" "$dir/cxx.cc"
  check "gcc predefines __hermit__" predefines_hermit
  check "gcc -nostdlib links a program with its own _start at 0x800000" gcc_freestanding "$dir/free"
  check "newlib: crt0.o is installed" test -f "$sysroot/lib/crt0.o"
  check "newlib: write() in libc.a ends in an undefined sys_write" write_reaches_sys_write "$sysroot/lib/libc.a"
  check "newlib: pthread.h is left to pthread-embedded" test ! -e "$sysroot/include/pthread.h"
}

# --- 1. build with the orchestrator ---------------------------------------------------------
recipes=(binutils)
[[ $only == all ]] && recipes=(binutils gcc-compilers newlib)
for recipe in "${recipes[@]}"; do build "$recipe"; done

# The built tools, together, as they will be installed (the images, hard-linked).
mkdir -p "$work/tools"
for recipe in "${recipes[@]}"; do cp -al "$work/build/image/$recipe/." "$work/tools/"; done
export PATH="$work/tools/opt/hermit/bin:$PATH"

echo "== checks with the built tools"
binutils_checks
[[ $only == all ]] && compiler_checks "$work/tools/opt/hermit/$target"

# --- 2. package, install into a private root, check again ------------------------------------
echo "== packages"
packaged=(binutils)
[[ $only == all ]] && packaged=(binutils newlib)
ht package "${packaged[@]}" | sed 's/^/   /'
debs=("$work"/build/out/*.deb)
if [[ $only == all ]]; then
  # gcc-compilers is not shipped; to check an installed compiler it is packed here, ad hoc, from
  # its image with our own `package --tree`.
  extra=$work/extra/gcc-hermit-compilers
  mkdir -p "$extra/DEBIAN"
  cp -al "$work/build/image/gcc-compilers/." "$extra/"
  printf 'Package: gcc-hermit-compilers\nVersion: 12.2.0-1\nArchitecture: amd64\nMaintainer: e2e-gnu <e2e@hermit.invalid>\nDepends: binutils-hermit\nDescription: gcc compilers without target libraries, for x86_64-hermit (e2e check only)\n' > "$extra/DEBIAN/control"
  ht package --tree "$extra" --out "$work/extra" | sed 's/^/   /'
  debs+=("$work"/extra/*.deb)
fi
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
# Host libraries (libc6, zlib, …) come from this machine, not from the private root's database.
dpkg --root="$root" --force-depends --force-not-root -i "${debs[@]}" > "$work/check/dpkg.log" 2>&1 || { cat "$work/check/dpkg.log"; exit 1; }
echo "   installed ${#debs[@]} packages into $root"
export PATH="$root/opt/hermit/bin:${PATH#*:}"
[[ $(command -v "$target-as") == "$root"/* ]] || { echo "e2e-gnu: the installed tools are not first in PATH" >&2; exit 1; }

echo "== checks with the installed tools"
binutils_checks
[[ $only == all ]] && compiler_checks "$root/opt/hermit/$target"

echo "== wall times (${jobs} jobs)"
for recipe in "${recipes[@]}"; do printf '   %-14s %5d s\n' "$recipe" "${seconds[$recipe]}"; done
if ((failures > 0)); then
  echo "e2e-gnu: $failures check(s) failed (work directory: $work)"
  exit 1
fi
echo "e2e-gnu: all checks passed (work directory: $work)"
