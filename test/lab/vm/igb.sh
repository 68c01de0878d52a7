#!/bin/bash
# Inside the lab VM booted with --igb: load igb and igbvf (no udev here: igbvf must be loaded
# before VFs are created or they stay driverless), then the driver's igb lab tests.
set -u
modprobe igb || exit 1
modprobe igbvf || exit 1
PF=
for _ in $(seq 50); do
  for n in /sys/class/net/*; do
    [ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)" 2>/dev/null)" = igb ] && PF=$(basename "$n")
  done
  [ -n "$PF" ] && break; sleep 0.1
done
[ -n "$PF" ] || { echo "igb.sh: no igb netdev" >&2; exit 1; }
ip link set "$PF" up
export NICVISOR_LAB=igb NICVISOR_IGB_PF=$PF
node --test --test-reporter=spec --test-concurrency=1 dist/test/lab/vm/igb.test.js dist/test/lab/vm/conformance.test.js
