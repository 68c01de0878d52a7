#!/bin/bash
# Inside the lab VM (booted without --igb): netdevsim10 with room for 64 VFs and none yet,
# then the driver's lab tests against it. cwd = the repo (shared read-write by run-vm.sh).
set -u
modprobe netdevsim || exit 1
echo "10 1" > /sys/bus/netdevsim/new_device || exit 1
for _ in $(seq 50); do [ -d /sys/bus/netdevsim/devices/netdevsim10/net ] && break; sleep 0.1; done
echo 64 > /sys/kernel/debug/netdevsim/netdevsim10/max_vfs || exit 1
ip link set "$(ls /sys/bus/netdevsim/devices/netdevsim10/net)" up
export NICVISOR_LAB=netdevsim
node --test --test-reporter=spec --test-concurrency=1 dist/test/lab/vm/netdevsim.test.js dist/test/lab/vm/conformance.test.js dist/test/lab/vm/daemon.test.js dist/test/lab/vm/modules.test.js dist/test/lab/vm/switchdev.test.js dist/test/lab/vm/eswitch-diff.test.js dist/test/lab/vm/spill.test.js dist/test/lab/vm/lag.test.js dist/test/lab/vm/lag-eswitch.test.js dist/test/lab/vm/guarded.test.js
rc=$?
if [ -n "${NICVISOR_LAB_BENCH:-}" ]; then node dist/bench/linux.js || rc=1; fi
exit $rc
