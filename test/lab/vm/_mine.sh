#!/bin/bash
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
[ -n "$PF" ] || { echo "no igb netdev" >&2; exit 1; }
ip link set "$PF" up
export NICVISOR_LAB=igb NICVISOR_IGB_PF=$PF
echo 0 > "/sys/class/net/$PF/device/sriov_drivers_autoprobe"
node --test --test-reporter=spec dist/test/lab/vm/vfio.test.js dist/test/lab/vm/vfio-window.test.js
