#!/usr/bin/env bash
# End-to-end build of the whole HermitCore toolchain from its real sources, as a user with
# internet access would run it:
#   1. fetches every source (GNU releases, or Debian's copies; pthread-embedded, LwIP and
#      libhermit from GitHub at their pinned commits);
#   2. builds everything (binutils → gcc-bootstrap → newlib → pthread-embedded →
#      libhermit-bootstrap → gcc → libhermit) and the packages with their apt index;
#   3. installs the meta package hermit-toolchain into a private root with `bootstrap --root`,
#      which compiles a hello world with the installed compiler;
#   4. checks the installed toolchain: C, C++ and Fortran programs, -pthread and OpenMP link into
#      HermitCore images (OS/ABI of the profile, entry 0x800000), the proxy and loader exist.
# Hours on a small machine. On a host that reaches Debian's archive but not GitHub it stops at
# step 1 and names the sources it could not fetch.
#
#   scripts/e2e-hermit.sh [--work DIR] [--jobs N]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=
jobs=$(nproc)
while (($#)); do
  case $1 in
    --work) work=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "e2e-hermit: unknown argument $1" >&2; exit 2 ;;
  esac
done
work=${work:-$(mktemp -d /var/tmp/hermit-e2e.XXXXXX)}
rm -rf "$work/build" "$work/root" "$work/check"
mkdir -p "$work/check"
[[ -f $repo/dist/cli.js ]] || (cd "$repo" && npm run build --silent)
ht() { node "$repo/bin/hermit-toolchain.js" --work "$work/build" --jobs "$jobs" "$@"; }
target=x86_64-hermit

echo "== 1. fetching every source"
ht fetch

echo "== 2. building the toolchain and its packages"
started=$(date +%s)
ht build
echo "   built in $(($(date +%s) - started)) s"

echo "== 3. installing hermit-toolchain into a private root"
ht bootstrap --from "$work/build/out" --root "$work/root"

echo "== 4. checks with the installed toolchain"
bin=$work/root/opt/hermit/bin
failures=0
check() {
  local what=$1; shift
  if "$@" > "$work/check/last.log" 2>&1; then echo "  ok    $what"; else echo "  FAIL  $what"; tail -15 "$work/check/last.log" | sed 's/^/        | /'; failures=$((failures + 1)); fi
}
image_ok() {
  "$bin/$target-readelf" -h "$1" | grep -q 'Entry point address: *0x800000' && "$bin/$target-readelf" -h "$1" | grep -Eq 'OS/ABI: *(Standalone App|HermitCore)'
}
cd "$work/check"
printf '#include <stdio.h>\nint main(void) { printf("hello\\n"); return 0; }\n' > hello.c
printf '#include <iostream>\n#include <thread>\nint main() { std::thread t([] { std::cout << "hi" << std::endl; }); t.join(); }\n' > hello.cc
printf 'program hello\n  print *, "hello"\nend program hello\n' > hello.f90
printf '#include <omp.h>\n#include <stdio.h>\nint main(void) {\n#pragma omp parallel\n  printf("%%d\\n", omp_get_thread_num());\n  return 0;\n}\n' > omp.c
c_hello() { "$bin/$target-gcc" -O2 -o hello hello.c && image_ok hello; }
check "C hello world links against newlib and libhermit into a HermitCore image" c_hello
check "C++ with std::thread (-pthread)" "$bin/$target-g++" -O2 -pthread -o hello-cxx hello.cc
check "Fortran hello world" "$bin/$target-gfortran" -O2 -o hello-f hello.f90
check "OpenMP (libgomp)" "$bin/$target-gcc" -O2 -fopenmp -o omp omp.c
check "the proxy is installed" test -x "$bin/proxy"
check "the loader ldhermit.elf is installed" test -f "$bin/ldhermit.elf"
if ((failures > 0)); then
  echo "e2e-hermit: $failures check(s) failed (work directory: $work)"
  exit 1
fi
echo "e2e-hermit: all checks passed (work directory: $work)"
