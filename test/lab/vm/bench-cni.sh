#!/bin/bash
# Inside the lab VM booted with --igb: the claim and CNI bench (bench/cni.ts) on igb/igbvf;
# NICVISOR_BENCH_JSON names where its figures go (a folder shared with the host).
set -u
modprobe igb || exit 1
modprobe igbvf || exit 1 # before any VF exists: no udev here to load it later
PF=
for _ in $(seq 50); do
  for n in /sys/class/net/*; do
    [ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)" 2>/dev/null)" = igb ] && PF=$(basename "$n") && break
  done
  [ -n "$PF" ] && break; sleep 0.1
done
[ -n "$PF" ] || { echo "bench-cni.sh: no igb netdev" >&2; exit 1; }
ip link set "$PF" up
export NICVISOR_LAB=igb NICVISOR_IGB_PF=$PF
exec node dist/bench/cni.js ${NICVISOR_BENCH_JSON:+--json "$NICVISOR_BENCH_JSON"}
