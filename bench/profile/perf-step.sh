#!/bin/bash
# Records where a proxy's CPU goes during one bench/e2e step, with Linux perf (Debian: linux-perf):
# on-CPU samples (cpu-clock, 999 Hz, call graphs) and context switches of the proxy's process for
# 5 s, DELAY seconds after the step's UAC started. Loopback only: it runs bench/e2e/run.mjs.
#   bench/profile/perf-step.sh sipdispatch|kamailio WORKERS RATE OUT [SECONDS] [DELAY]
# then: node bench/profile/perf-categories.mjs OUT.data
set -euo pipefail
target=$1 workers=$2 rate=$3 out=$4 seconds=${5:-10} delay=${6:-3}
cd "$(dirname "$0")/../.."
node bench/e2e/run.mjs --targets "$target" --rates "$rate" --options-rates 1000 --seconds "$seconds" --warmup 2 \
  --node-args --perf-basic-prof-only-functions --sipdispatch-args "--workers $workers" > "$out.bench.txt" 2>&1 &
bench=$!
uac=
for _ in $(seq 1 300); do
  uac=$(pgrep -f "sipp.*-r $rate -l" | head -1 || true)
  [ -n "$uac" ] && break
  sleep 0.1
done
[ -n "$uac" ] || { echo "the step's UAC never started" >&2; kill "$bench"; exit 1; }
if [ "$target" = kamailio ]; then pids=$(pgrep -d, -x kamailio); else pids=$(pgrep -f -- "--perf-basic-prof-only-functions.*cli.js" | head -1); fi
sleep "$delay"
perf stat -e context-switches,cpu-migrations,cpu-clock -p "$pids" -o "$out.stat" -- sleep 5 > /dev/null 2>&1 &
perf record -F 999 -e cpu-clock -g -p "$pids" -o "$out.data" -- sleep 5 > /dev/null 2>&1
wait
grep -E "^\| *$target \| $rate \| " "$out.bench.txt" | head -1
grep -E "context-switches|cpu-clock" "$out.stat"
