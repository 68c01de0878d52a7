#!/bin/bash
# Inside the lab VM booted with --igb: load igb and igbvf (no udev here: igbvf must be loaded
# before VFs are created or they stay driverless), then the driver's igb lab tests.
set -u
modprobe igb || exit 1
modprobe igbvf || exit 1
# Booted with --igb --igb (run-lab.sh): two PFs, eth0 then eth1 (kernel names, no udev).
# The first is the PF of every single-NIC test; the second joins it for the HA pair.
PFS=()
for _ in $(seq 50); do
  PFS=()
  for n in /sys/class/net/*; do
    [ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)" 2>/dev/null)" = igb ] && PFS+=("$(basename "$n")")
  done
  [ ${#PFS[@]} -gt 0 ] && break; sleep 0.1
done
[ ${#PFS[@]} -gt 0 ] || { echo "igb.sh: no igb netdev" >&2; exit 1; }
PF=${PFS[0]}
for p in "${PFS[@]}"; do ip link set "$p" up; done
export NICVISOR_LAB=igb NICVISOR_IGB_PF=$PF NICVISOR_IGB_PF2=${PFS[1]:-}
node --test --test-reporter=spec dist/test/lab/vm/igb.test.js
rc=$?
# Guarded trust, watch mode: a trusted igbvf changes its own MAC; kept or reverted by the
# MAC guard, exposure window printed (issue 18).
node --test --test-reporter=spec dist/test/lab/vm/guard-watch.test.js || rc=1
# An HA pair over both NICs: a guest bond fails over on a cable pull (skips with one NIC).
modprobe bonding
node --test --test-reporter=spec dist/test/lab/vm/ha-pair.test.js || rc=1
# The same raw frames through igb and through the sim: where they arrive (needs VF netdevs).
node --test --test-reporter=spec dist/test/lab/vm/veb.test.js || rc=1
# The CNI plugin over the daemon (pools, issue 12): real igbvf netdevs into namespaces.
# libvirt (issue 12): Debian's libvirtd with the pool's <forward mode='hostdev'> network and
# nicvisor's network hook; ports created and deleted through virsh, the hook asking the
# daemon (needs igbvf bound: the release gives the VF back to it). With two NICs it runs on
# the second beside the CNI test on the first (they share no device, namespace or socket),
# its output printed after. Measured: one after the other 76 s + 86 s; side by side 72 s and
# 64 s, the pair done when the CNI test is (whole boot 468 s then, 313 s now, on a host
# whose load also moved the other tests by up to 40 s).
if [ -n "${PFS[1]:-}" ]; then
  NICVISOR_IGB_PF=${PFS[1]} node --test --test-reporter=spec dist/test/lab/vm/libvirt.test.js > /tmp/libvirt-test.out 2>&1 &
  LIBVIRT_PID=$!
  node --test --test-reporter=spec dist/test/lab/vm/cni.test.js || rc=1
  wait $LIBVIRT_PID || rc=1
  cat /tmp/libvirt-test.out
else
  node --test --test-reporter=spec dist/test/lab/vm/cni.test.js || rc=1
  node --test --test-reporter=spec dist/test/lab/vm/libvirt.test.js || rc=1
fi
# The conformance suite needs no VF netdevs: VFs left unbound (as for VFs passed to VMs
# through vfio) are created in a fraction of the time igbvf's probe takes under emulation.
echo 0 > "/sys/class/net/$PF/device/sriov_drivers_autoprobe"
node --test --test-reporter=spec dist/test/lab/vm/conformance.test.js || rc=1
node --test --test-reporter=spec dist/test/lab/vm/vfio.test.js || rc=1
# The vfio-pci crash window: the states a kill leaves between unbind and bind, repaired.
node --test --test-reporter=spec dist/test/lab/vm/vfio-window.test.js || rc=1
exit $rc
