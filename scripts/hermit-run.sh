#!/usr/bin/env bash
# Runs one HermitCore program, bounded, leaving nothing behind:
#   scripts/hermit-run.sh SECONDS OUTPUT COMMAND...
# COMMAND (usually `proxy IMAGE ARGS...`) runs in a session of its own with stdout and stderr in
# OUTPUT. After SECONDS it gets SIGTERM, 5 s later SIGKILL. Then every process of that session
# still alive, and any qemu started since (a qemu the proxy started), is killed and named on
# stderr. Exits with COMMAND's status, 124 on the timeout (as timeout(1) does), 125 when
# something had to be cleaned up. Programs run one at a time: the guest's port is fixed.
set -uo pipefail
(($# >= 3)) || { echo "usage: hermit-run.sh SECONDS OUTPUT COMMAND..." >&2; exit 2; }
limit=$1 output=$2
shift 2
qemus_before=$(pgrep -d ' ' -f '^qemu-system' || true)
setsid timeout -k 5 "$limit" "$@" < /dev/null > "$output" 2>&1 &
leader=$!
wait "$leader"
status=$?
# setsid (without --fork) execs timeout, so the session id is that pid.
# Zombies are dead already (waiting for a reaper that is not ours); anything else is alive.
leftovers=$(ps -eo pid=,sid=,stat=,args= | awk -v sid="$leader" '$2 == sid && $3 !~ /^Z/ { print }')
# A qemu that left the session (daemonized) is found by name: any qemu not there before.
for pid in $(pgrep -f '^qemu-system' || true); do
  [[ " $qemus_before " == *" $pid "* ]] || leftovers+="${leftovers:+$'\n'}$(ps -o pid=,sid=,stat=,args= -p "$pid")"
done
if [[ -n $leftovers ]]; then
  echo "hermit-run: killing what outlived the program:" >&2
  echo "$leftovers" | sed 's/^/  /' >&2
  echo "$leftovers" | awk '{ print $1 }' | xargs -r kill -9 2> /dev/null
  status=125
fi
exit "$status"
