#!/usr/bin/env bash
# End-to-end proof of the whole HermitCore toolchain: programs built with it boot and run.
#   1. fetches every source: the GNU releases (or Debian's verified copies) and the HermitCore
#      trees at their pins — from GitHub, or from a premirror given with --mirror (for a site
#      without GitHub, e.g. ../shared/sources: archives verified by the recipes' sha256);
#   2. builds the chain (binutils → gcc-compilers → newlib → pthread-embedded →
#      libhermit-bootstrap → gcc → libhermit), its packages and their apt index;
#   3. installs the meta package hermit-toolchain into a private root (bootstrap --root);
#   4. boots programs under the installed proxy in QEMU, one at a time, each bounded by a timeout,
#      and checks what each printed: libhermit's own tests and benchmarks (built by libhermit's
#      full build with our compilers) and programs of ours compiled with the installed compilers
#      (C, C++ std::thread, Fortran, -pthread, OpenMP); then uhyve, and a start through binfmt_misc;
#      the proxy is also tried under faults (qemu failing at start, the proxy SIGKILLed, qemu
#      killed while a program runs): it must end, with a message, and leave no qemu behind;
#   5. prints one table: program, expected, seen, pass/fail, boot time.
# About an hour on 2 cores for a build from nothing; the artifact cache makes reruns minutes
# (--no-artifact-cache builds everything for real). `--quick` runs only the C programs (CI).
#
#   scripts/e2e-hermit.sh [--mirror DIR|URL] [--work DIR] [--jobs N] [--no-artifact-cache] [--quick]
#
# KVM is used when HERMIT_KVM is unset and /dev/kvm works for libhermit; set HERMIT_KVM=0 for
# TCG (needed on nested KVM, where libhermit's xgetbv fails).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=
jobs=$(nproc)
quick=0
build_args=()
global_args=()
while (($#)); do
  case $1 in
    --work) work=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --mirror) global_args+=(--mirror "$2"); shift 2 ;;
    --no-artifact-cache) build_args+=(--no-artifact-cache); shift ;;
    --quick) quick=1; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "e2e-hermit: unknown argument $1" >&2; exit 2 ;;
  esac
done
work=${work:-$(mktemp -d /var/tmp/hermit-e2e.XXXXXX)}
work=$(mkdir -p "$work" && cd "$work" && pwd)
rm -rf "$work/build" "$work/root" "$work/check"
mkdir -p "$work/check/logs"
[[ -f $repo/dist/cli.js ]] || (cd "$repo" && npm run build --silent)
ht() { "$repo/bin/hermit-toolchain.cjs" "${global_args[@]}" --work "$work/build" --jobs "$jobs" "$@"; }
target=x86_64-hermit
for tool in qemu-system-x86_64 timeout setsid; do
  command -v "$tool" > /dev/null || { echo "e2e-hermit: $tool is missing (apt-get install qemu-system-x86 coreutils util-linux)" >&2; exit 1; }
done

echo "== 1. fetching every source"
if ! ht fetch > "$work/check/fetch.log" 2>&1; then
  sed 's/^/   /' "$work/check/fetch.log" | tail -15
  echo "e2e-hermit: sources missing; a site without GitHub passes a premirror: --mirror DIR (see README, Sources)" >&2
  exit 1
fi

echo "== 2. building the toolchain and its packages"
started=$(date +%s)
ht build "${build_args[@]}" | tee "$work/check/build.log" | grep -E '^(plan|done|restored|FAILED|cache|summary|error)' | grep -vE ':(fetch|unpack|patch|package) ' | sed 's/^/   /'
echo "   built in $(($(date +%s) - started)) s"

echo "== 3. installing hermit-toolchain into a private root"
ht bootstrap --from "$work/build/out" --root "$work/root" | sed 's/^/   /'
prefix=$work/root/opt/hermit
bin=$prefix/bin
proxy=$bin/proxy
tests=$prefix/$target/extra/tests
benchmarks=$prefix/$target/extra/benchmarks

# The KVM question is answered once: a guest that cannot run libhermit under KVM (nested PVM:
# xgetbv fails) would fail every boot.
if [[ -z ${HERMIT_KVM:-} ]]; then
  export HERMIT_KVM=0
  if [[ -w /dev/kvm ]]; then
    export HERMIT_KVM=1
    "$repo/scripts/hermit-run.sh" 60 "$work/check/logs/kvm-probe.log" "$proxy" "$tests/hello" > /dev/null 2>&1 || export HERMIT_KVM=0
  fi
fi
export HERMIT_ISLE=qemu
echo "== 4. running programs (HERMIT_ISLE=qemu, HERMIT_KVM=$HERMIT_KVM)"

rows=()
failures=0
# run NAME EXPECTED TIMEOUT CHECK COMMAND...: boots one program; CHECK is a function given the
# output file, which says "seen" on stdout and returns 0 when the output is right.
run() {
  local name=$1 expected=$2 limit=$3 check=$4; shift 4
  local out=$work/check/logs/$name.log status seen verdict began ms
  began=$(date +%s%N)
  status=0
  "$repo/scripts/hermit-run.sh" "$limit" "$out" "$@" || status=$?
  ms=$((($(date +%s%N) - began) / 1000000))
  if seen=$("$check" "$out" "$status"); then verdict=pass
  elif [[ -n ${NOT_HERE:-} ]]; then verdict="n/a: cannot run here"
  else verdict=FAIL; failures=$((failures + 1)); fi
  rows+=("$name|$expected|$seen|$verdict|$((ms / 1000)).$(printf '%03d' $((ms % 1000)))s")
  printf '   %-4s %-22s %s\n' "${verdict%%:*}" "$name" "$seen${NOT_HERE:+ ($NOT_HERE)}"
  if [[ $verdict == FAIL ]]; then
    sed 's/^/        | /' "$out" | tail -12
    # The kernel's log, for the report.
    HERMIT_VERBOSE=1 "$repo/scripts/hermit-run.sh" "$limit" "$out.verbose" "$@" > /dev/null 2>&1 || true
    echo "        kernel log (HERMIT_VERBOSE=1): $out.verbose"
  fi
}
# expect_lines FILE STATUS PATTERN...: every pattern matches a line and the program exited 0.
expect_lines() {
  local file=$1 status=$2; shift 2
  local pattern missing=()
  for pattern in "$@"; do grep -Eq -- "$pattern" "$file" || missing+=("$pattern"); done
  if ((${#missing[@]})); then echo "exit $status; missing: ${missing[*]}"; return 1; fi
  if ((status != 0)); then echo "exit $status"; return 1; fi
  echo "exit 0; $(grep -cE -- "$1" "$file") line(s) like /$1/"
}
hello_ok() { expect_lines "$1" "$2" '^Hello World!!!$' '^argv\[0\] = '; }
hellopp_ok() { expect_lines "$1" "$2" '^Hello World from g\+\+!!!$'; }
hellof_ok() { expect_lines "$1" "$2" 'HelloWorld from gfortran!'; }
jacobi_ok() { expect_lines "$1" "$2" '^Check the result\.\.\.$' '^maximal error is [0-9.]+$' '^number of iterations: [0-9]+$'; }
argv_ok() { expect_lines "$1" "$2" '^argc: 3$' '^  argv\[1\]: first$' '^  argv\[2\]: second$' '^HERMIT_E2E=environment-reaches-the-guest$'; }
allocator_ok() {
  # Runs until stopped: allocation, a check of every byte, then a counter every 500 ms.
  if grep -q '^Allocated and mapped!$' "$1" && grep -Eq '^Sleeping \.\.\.[0-9]+!$' "$1" && ! grep -q ERROR "$1"; then
    echo "stopped after $(grep -cE '^Sleeping' "$1") checks of 16 MiB, no ERROR"
  else echo "exit $2; $(tail -1 "$1")"; return 1; fi
}
malloc_ok() { expect_lines "$1" "$2" '.'; }
# The threads run on two cores and their lines may interleave: match within lines.
malloc_mt_ok() { expect_lines "$1" "$2" 'In main: All threads completed successfully' 'thread [0-9]+ leaves thread function'; }
thr_ok() { expect_lines "$1" "$2" '^Hello form main thread! id = ' '^Hello thread!!! id = ' '^Create thread 1$'; }
signals_ok() { expect_lines "$1" "$2" 'Received signal' '^All done$'; }
endless_ok() {
  # An OpenMP loop that never ends: its threads share one counter (under omp critical), so the
  # lines count 1, 2, 3, ... with no gap or repeat; it runs until the timeout stops it.
  local lines consecutive
  lines=$(grep -cE '^Counter [0-9]+$' "$1" || true)
  consecutive=$(grep -E '^Counter [0-9]+$' "$1" | awk '{ if ($2 != NR) bad = 1 } END { print bad ? "no" : "yes" }')
  if ((lines >= 4)) && [[ $consecutive == yes ]] && (($2 == 124)); then echo "stopped by the timeout after $lines counter lines, 1..$lines in order"
  else echo "exit $2; $lines counter lines, consecutive: $consecutive"; return 1; fi
}
stream_ok() { expect_lines "$1" "$2" '^Solution Validates' '^Triad: +[0-9.]+'; }
basic_ok() { expect_lines "$1" "$2" '^Average time for getpid: [0-9]+ cycles' '^Average time for malloc: [0-9]+ cycles'; }
hg_ok() { expect_lines "$1" "$2" '^hourglass$' '^ +# loops +: +[0-9]+$' '^ +Avg\. +: +[0-9.]+$'; }
rcce_ok() { expect_lines "$1" "$2" '^MINIMUM started with [0-9]+ procs'; }
ours_c_ok() { expect_lines "$1" "$2" '^hello from C, 6 \* 7 = 42$'; }
ours_cxx_ok() { expect_lines "$1" "$2" '^thread says 42$' '^joined$'; }
ours_f_ok() { expect_lines "$1" "$2" 'sum of 1\.\.100 = +5050'; }
ours_pthread_ok() { expect_lines "$1" "$2" '^total 4000$'; }
ours_omp_ok() { expect_lines "$1" "$2" '^threads [1-9][0-9]*, sum 5050$'; }
ours_sem_ok() { expect_lines "$1" "$2" '^the waiter passed after the post$'; }
ours_regions_ok() { expect_lines "$1" "$2" '^2000 regions, threads [1-9][0-9]*, every sum 5050$'; }

if ((quick == 0)); then
  run hello "Hello World!!!" 60 hello_ok "$proxy" "$tests/hello"
  run hello++ "g++ hello" 60 hellopp_ok "$proxy" "$tests/hello++"
  run hellof "gfortran hello" 60 hellof_ok "$proxy" "$tests/hellof"
  run jacobi "Jacobi converges" 420 jacobi_ok "$proxy" "$tests/jacobi"
  HERMIT_E2E=environment-reaches-the-guest run argv_envp "argv and environ" 60 argv_ok "$proxy" "$tests/argv_envp" first second
  run allocator "16 MiB checked" 20 allocator_ok "$proxy" "$tests/allocator" 16M
  run test-malloc "malloc test" 120 malloc_ok "$proxy" "$tests/test-malloc"
  HERMIT_CPUS=2 run test-malloc-mt "threads malloc" 120 malloc_mt_ok "$proxy" "$tests/test-malloc-mt"
  HERMIT_CPUS=2 run thr_hello "pthread hello" 60 thr_ok "$proxy" "$tests/thr_hello"
  HERMIT_CPUS=2 run signals "signals to threads" 60 signals_ok "$proxy" "$tests/signals"
  HERMIT_CPUS=2 run endless "OpenMP counter" 15 endless_ok "$proxy" "$tests/endless"
  HERMIT_CPUS=2 run stream "STREAM validates" 300 stream_ok "$proxy" "$benchmarks/stream"
  run basic "syscall costs" 120 basic_ok "$proxy" "$benchmarks/basic"
  run hg "hourglass, 1 s" 60 hg_ok "$proxy" "$benchmarks/hg" -d 1
  # iRCCE ranks are kernels on isles of the multi-kernel mode (cores split off from Linux,
  # /sys/hermit); in a VM libhermit is a single kernel and sys_rcce_init answers ENOSYS.
  NOT_HERE="iRCCE needs isles (multi-kernel mode); one VM is a single kernel" \
    run RCCE_minimum "2 ranks pass a token" 30 rcce_ok "$proxy" "$tests/RCCE_minimum" 2 0.533 0 1
else
  run hello "Hello World!!!" 60 hello_ok "$proxy" "$tests/hello"
fi

# Programs of ours, compiled with the installed compilers.
src=$work/check/src
mkdir -p "$src"
cat > "$src/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { int a = 6, b = 7; printf("hello from C, %d * %d = %d\n", a, b, a * b); return 0; }
EOF
cat > "$src/thread.cc" <<'EOF'
#include <iostream>
#include <thread>
int main() {
  int value = 0;
  std::thread t([&value] { value = 42; std::cout << "thread says " << value << std::endl; });
  t.join();
  std::cout << "joined" << std::endl;
  return value == 42 ? 0 : 1;
}
EOF
cat > "$src/sum.f90" <<'EOF'
program sum
  integer :: i, total
  total = 0
  do i = 1, 100
    total = total + i
  end do
  print *, "sum of 1..100 = ", total
end program sum
EOF
cat > "$src/pthread.c" <<'EOF'
#include <pthread.h>
#include <stdio.h>
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int total;
static void *work(void *arg) {
  for (int i = 0; i < 1000; i++) { pthread_mutex_lock(&lock); total++; pthread_mutex_unlock(&lock); }
  return arg;
}
int main(void) {
  pthread_t threads[4];
  for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, work, NULL);
  for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
  printf("total %d\n", total);
  return total == 4000 ? 0 : 1;
}
EOF
cat > "$src/omp.c" <<'EOF'
#include <omp.h>
#include <stdio.h>
int main(void) {
  int sum = 0, threads = 0;
#pragma omp parallel reduction(+:sum)
  {
#pragma omp single
    threads = omp_get_num_threads();
#pragma omp for
    for (int i = 1; i <= 100; i++) sum += i;
  }
  printf("threads %d, sum %d\n", threads, sum);
  return sum == 5050 ? 0 : 1;
}
EOF
# A post that nobody waited for must not let a later waiter through (pthread-embedded's sem_post
# once posted the kernel semaphore for it, and libgomp's barriers fell apart).
cat > "$src/sem.c" <<'EOF'
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>
static sem_t sem;
static volatile int passed;
static void *waiter(void *arg) { sem_wait(&sem); passed = 1; return arg; }
int main(void) {
  pthread_t thread;
  sem_init(&sem, 0, 0);
  sem_post(&sem);
  sem_wait(&sem);
  pthread_create(&thread, NULL, waiter, NULL);
  usleep(300000);
  int early = passed;
  sem_post(&sem);
  pthread_join(thread, NULL);
  printf("the waiter passed %s the post\n", early ? "before" : "after");
  return early;
}
EOF
# Many parallel regions, each a barrier and a release of the team: what STREAM does 400 times.
cat > "$src/regions.c" <<'EOF'
#include <omp.h>
#include <stdio.h>
int main(void) {
  int threads = 0, bad = 0;
  for (int region = 0; region < 2000; region++) {
    int sum = 0;
#pragma omp parallel reduction(+:sum)
    {
#pragma omp single
      threads = omp_get_num_threads();
#pragma omp for
      for (int i = 1; i <= 100; i++) sum += i;
    }
    if (sum != 5050) { printf("region %d: sum %d\n", region, sum); bad++; }
  }
  if (!bad) printf("2000 regions, threads %d, every sum 5050\n", threads);
  return bad != 0;
}
EOF
compile() {
  local name=$1; shift
  if ! "$@" > "$work/check/logs/$name.compile.log" 2>&1; then
    rows+=("$name|compiles|$(tail -1 "$work/check/logs/$name.compile.log")|FAIL|-"); failures=$((failures + 1))
    printf '   FAIL %-22s does not compile:\n' "$name"; sed 's/^/        | /' "$work/check/logs/$name.compile.log" | tail -12
    return 1
  fi
}
cd "$src"
if compile ours-c "$bin/$target-gcc" -O2 -o hello hello.c; then run ours-c "hello from C" 60 ours_c_ok "$proxy" "$src/hello"; fi
if ((quick == 0)); then
  if compile ours-c++-thread "$bin/$target-g++" -O2 -pthread -o thread thread.cc; then HERMIT_CPUS=2 run ours-c++-thread "std::thread joins" 60 ours_cxx_ok "$proxy" "$src/thread"; fi
  if compile ours-fortran "$bin/$target-gfortran" -O2 -o sum sum.f90; then run ours-fortran "sum = 5050" 60 ours_f_ok "$proxy" "$src/sum"; fi
  if compile ours-pthread "$bin/$target-gcc" -O2 -pthread -o pthread pthread.c; then HERMIT_CPUS=2 run ours-pthread "4 threads, 4000" 60 ours_pthread_ok "$proxy" "$src/pthread"; fi
  if compile ours-openmp "$bin/$target-gcc" -O2 -fopenmp -o omp omp.c; then HERMIT_CPUS=2 run ours-openmp "OpenMP sum 5050" 60 ours_omp_ok "$proxy" "$src/omp"; fi
  if compile ours-semaphore "$bin/$target-gcc" -O2 -pthread -o sem sem.c; then HERMIT_CPUS=2 run ours-semaphore "a post is taken once" 60 ours_sem_ok "$proxy" "$src/sem"; fi
  if compile ours-omp-regions "$bin/$target-gcc" -O2 -fopenmp -o regions regions.c; then HERMIT_CPUS=2 run ours-omp-regions "2000 regions, 5050 each" 120 ours_regions_ok "$proxy" "$src/regions"; fi
fi

echo "== 5. the proxy under faults"
# fault NAME CHECK: one row; CHECK prints what was seen and returns 0 when the proxy behaved.
fault() {
  local name=$1 check=$2 seen verdict
  if seen=$("$check"); then verdict=pass; else verdict=FAIL; failures=$((failures + 1)); fi
  rows+=("$name|$3|$seen|$verdict|-")
  printf '   %-4s %-22s %s\n' "$verdict" "$name" "$seen"
}
qemu_count() { pgrep -c -f '^qemu-system' || true; }
qemu_fails_at_start() {
  printf '#!/bin/sh\necho "stand-in qemu: failing" >&2\nexit 3\n' > "$work/check/failing-qemu"
  chmod +x "$work/check/failing-qemu"
  local out=$work/check/logs/fault-qemu-fails.log status=0
  HERMIT_QEMU=$work/check/failing-qemu "$repo/scripts/hermit-run.sh" 20 "$out" "$proxy" "$tests/hello" || status=$?
  echo "exit $status: $(grep -m1 '^Proxy:' "$out" || echo 'no message')"
  ((status == 1)) && grep -q 'qemu exited with status 3' "$out"
}
# boot_allocator OUT: starts allocator (which runs until stopped) in the background, in a session
# of its own, and waits up to 20 s for it to be up; its proxy's pid is in $booted.
boot_allocator() {
  setsid "$proxy" "$tests/allocator" 16M > "$1" 2>&1 &
  booted=$!
  for _ in $(seq 100); do grep -q '^Allocated and mapped!$' "$1" && break; sleep 0.2; done
}
proxy_killed() {
  local out=$work/check/logs/fault-proxy-killed.log before pid left
  before=$(qemu_count)
  boot_allocator "$out"
  pid=$booted
  kill -KILL "$pid"; wait "$pid" 2> /dev/null || true
  # The kernel sends qemu SIGTERM when the proxy dies (PR_SET_PDEATHSIG): give it 5 s to exit.
  for _ in $(seq 25); do (($(qemu_count) <= before)) && break; sleep 0.2; done
  left=$(($(qemu_count) - before))
  echo "SIGKILL after boot: $left qemu left"
  ((left == 0)) && grep -q '^Allocated and mapped!$' "$out"
}
qemu_killed() {
  local out=$work/check/logs/fault-qemu-killed.log pid status=0 qemu began
  boot_allocator "$out"
  pid=$booted
  qemu=$(pgrep -P "$pid" -f '^qemu-system' | head -1)
  [[ -n $qemu ]] && kill -KILL "$qemu"
  began=$(date +%s)
  for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2> /dev/null; then kill -KILL "$pid"; echo "proxy still running 10 s after its qemu died"; return 1; fi
  wait "$pid" || status=$?
  echo "exit $status $(($(date +%s) - began)) s after its qemu died"
  ((status == 1)) && grep -q 'connection to HermitCore closed' "$out"
}
fault fault-qemu-fails qemu_fails_at_start "proxy exits with an error"
fault fault-proxy-killed proxy_killed "no qemu outlives it"
fault fault-qemu-killed qemu_killed "proxy ends, exit 1"

echo "== 6. uhyve and binfmt_misc"
uhyve_out=$work/check/logs/uhyve.log
uhyve_status=0
HERMIT_ISLE=uhyve "$repo/scripts/hermit-run.sh" 60 "$uhyve_out" "$proxy" "$tests/hello" || uhyve_status=$?
if grep -q '^Hello World!!!$' "$uhyve_out"; then echo "   uhyve: hello ran (exit $uhyve_status)"
# uhyve's err() messages end with errno's text on a line of their own: show the last two lines.
else echo "   uhyve: hello did not run here (exit $uhyve_status): $(grep -v '^$' "$uhyve_out" | tail -2 | paste -sd ' ')"; fi

binfmt_dir=/proc/sys/fs/binfmt_misc
mounted_here=0
if [[ $(id -u) -eq 0 && ! -e $binfmt_dir/register ]]; then mount -t binfmt_misc binfmt_misc "$binfmt_dir" 2> /dev/null && mounted_here=1 || true; fi
if [[ -w $binfmt_dir/register ]]; then
  ht binfmt register --interpreter "$proxy" | sed 's/^/   /'
  cp "$src/hello" "$work/check/hello-binfmt"
  run binfmt-hello "./hello via binfmt" 60 ours_c_ok "$work/check/hello-binfmt"
  ht binfmt unregister | sed 's/^/   /'
  ((mounted_here == 0)) || umount "$binfmt_dir"
else
  echo "   binfmt_misc is not writable here (not root, or no binfmt_misc): skipped"
fi

echo
echo "| program | expected | seen | result | boot+run time |"
echo "|---|---|---|---|---|"
for row in "${rows[@]}"; do echo "| ${row//|/ | } |"; done
echo
if ((failures > 0)); then
  echo "e2e-hermit: $failures program(s) failed (logs: $work/check/logs)"
  exit 1
fi
echo "e2e-hermit: all ${#rows[@]} programs passed (work directory: $work)"
