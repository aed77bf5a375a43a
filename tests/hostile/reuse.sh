#!/bin/bash
# Run in a pid namespace of its own with its own /proc (unshare --pid --fork --mount-proc):
# tsnap, without pidfd_send_signal, asks two fake JVMs; while it waits on the first, the
# second exits and an innocent process is given its pid (ns_last_pid). Prints how the
# innocent process ended, and how many SIGQUITs the second JVM saw.
# Usage: reuse.sh REFUSE TSNAP FAKEJVM ROOT DIR (REFUSE: tests/support/refuse.c built)
set -eu
refuse=$1 tsnap=$2 fakejvm=$3 root=$4 dir=$5
cd "$dir"
mkfifo hold
"$fakejvm" "$root" silent <hold >a.out &
a=$!
exec 9>hold
"$fakejvm" "$root" quit-listen <hold >b.out &
b=$!
until grep -q ready a.out && grep -q ready b.out; do sleep 0.05; done
"$refuse" pidfd "$tsnap" dump --java --java-timeout 2 -i 0 -p "$a,$b" >tsnap.out 2>tsnap.err &
t=$!
sleep 0.7
kill -KILL "$b"
wait "$b" || true
echo $((b - 1)) >/proc/sys/kernel/ns_last_pid
# A background command of a script ignores SIGQUIT unless told otherwise.
env --default-signal=QUIT sleep 60 <hold &
innocent=$!
[ "$innocent" = "$b" ] && echo "reused $b"
wait "$t" || true
# A process killed by SIGQUIT ends with 131; the one this script sends, SIGTERM, 143.
kill -TERM "$innocent" 2>/dev/null || true
status=0
wait "$innocent" || status=$?
echo "innocent ended $status"
echo "second JVM saw $(grep -c quit b.out || true) SIGQUIT"
cat tsnap.err >&2
