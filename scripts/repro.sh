#!/usr/bin/env bash
# Reproducibility check, as Debian's reprotest does it: builds the packages twice from nothing
# (restoring nothing from the artifact cache) in two work directories of different names and
# depths, with a different umask and TMPDIR, one after the other, then compares every .deb byte
# for byte. On a difference diffoscope explains the first package that differs.
#
#   scripts/repro.sh [--toolchain DIR] [--work DIR] [--cache DIR] [--mirror DIR|URL] [--jobs N] [recipes...]
#
# Recipes default to all of them: the whole chain took 41 to 91 min on 2 cores. The work folder
# (default: a new one under /var/tmp) keeps both builds and diffoscope's report; downloads come
# from the usual cache. Exit 0: identical; 1: they differ; 2: a build failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=
global=()
recipes=()
while (($#)); do
  case $1 in
    --toolchain | --cache | --mirror | --jobs) global+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --work) work=${2:?--work needs a folder}; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "repro: unknown option $1" >&2; exit 2 ;;
    *) recipes+=("$1"); shift ;;
  esac
done
work=${work:-$(mktemp -d /var/tmp/hermit-repro.XXXXXX)}
rm -rf "$work/first" "$work/second" "$work/diffoscope.txt"
[[ -f $repo/dist/bundle/cli.cjs ]] || (cd "$repo" && npm run build --silent)

# build NAME WORKDIR UMASK CACHE-FLAG: one clean build with its own TMPDIR, its output in
# WORKDIR/out. The first stores its images in the artifact cache (--no-restore), so that a
# build after this check starts from them; the second uses no artifact cache at all.
build() {
  local name=$1 dir=$2 mask=$3 cache_flag=$4 started
  mkdir -p "$dir/tmp"
  started=$(date +%s)
  echo "repro: $name build in $dir (umask $mask)"
  if ! (umask "$mask" && TMPDIR=$dir/tmp "$repo/bin/hermit-toolchain.cjs" "${global[@]}" --work "$dir" \
    build "$cache_flag" "${recipes[@]}" > "$dir.log" 2>&1); then
    echo "repro: the $name build failed; its output: $dir.log" >&2
    tail -5 "$dir.log" >&2
    exit 2
  fi
  echo "repro: $name build took $(($(date +%s) - started)) s"
}

started=$(date +%s)
build first "$work/first/build" 022 --no-restore
build second "$work/second/another/work" 002 --no-artifact-cache
one=$work/first/build/out
two=$work/second/another/work/out

differ=()
mapfile -t names < <(cd "$one" && ls -- *.deb 2>/dev/null)
if ((${#names[@]} == 0)); then
  echo "repro: the builds made no .deb to compare" >&2
  exit 2
fi
if [[ $(cd "$one" && ls -- *.deb) != $(cd "$two" && ls -- *.deb 2>/dev/null) ]]; then
  echo "repro: the two builds made different packages: $(cd "$one" && ls -- *.deb | paste -sd ' ') against $(cd "$two" && ls -- *.deb | paste -sd ' ')" >&2
  exit 1
fi
for name in "${names[@]}"; do
  if cmp -s "$one/$name" "$two/$name"; then
    echo "  same     $name ($(stat -c %s "$one/$name") bytes, sha256 $(sha256sum "$one/$name" | cut -c1-16)…)"
  else
    echo "  DIFFERS  $name"
    differ+=("$name")
  fi
done
took=$(($(date +%s) - started))
if ((${#differ[@]} == 0)); then
  echo "repro: all ${#names[@]} packages are byte-identical (${took} s in all)"
  exit 0
fi
first=${differ[0]}
if command -v diffoscope >/dev/null; then
  diffoscope --text "$work/diffoscope.txt" "$one/$first" "$two/$first" > /dev/null 2>&1 || true
  echo "repro: diffoscope on $first (whole report: $work/diffoscope.txt):"
  head -40 "$work/diffoscope.txt" | sed 's/^/  | /'
else
  echo "repro: diffoscope is not installed (scripts/install-deps.sh --test installs it); compare $one/$first with $two/$first"
fi
echo "repro: ${#differ[@]} of ${#names[@]} packages differ: ${differ[*]} (${took} s in all)" >&2
exit 1
