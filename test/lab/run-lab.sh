#!/bin/bash
# test/lab/run-lab.sh [VMDIR] [netdevsim|igb]...
# Boots the lab VM once per device (default: both) and runs the linux driver's tests inside
# it (compile first: `npx tsc -p .`; build the VM first: test/lab/image/build-vm.sh). VMDIR
# defaults to $NICVISOR_LABVM, else /var/cache/nicvisor/labvm. Exit status: 0 when every
# boot passed. NICVISOR_LAB_BENCH=1 also runs bench/linux inside the netdevsim boot;
# LABVM_LOCK=FILE serialises the boots with other checkouts (see boot/run-vm.sh).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/defaults.sh"
if [ $# -gt 0 ] && [ -d "$1" ]; then LABVM_DIR=$1; shift; fi
DEVICES=("$@"); [ ${#DEVICES[@]} -gt 0 ] || DEVICES=(netdevsim igb)
cd "$HERE/../.." || exit 2
rc=0
# The timeouts only catch a hung guest: a boot takes 4-8 min on this 2-core machine and, while
# the host's tests run beside it, has gone past 15 min (igb, one CI run). They sum, with
# the build, to less than lab.test.ts's own timeout.
for d in "${DEVICES[@]}"; do
  case $d in
    netdevsim) args=(--timeout 1200);;
    # igb runs the CNI test too (daemon + API + real namespaces: ~5 min more under TCG);
    # two NICs for the HA pair test (a guest bond over one VF of each).
    igb) args=(--igb --igb --timeout 1800);;
    *) echo "run-lab.sh: unknown device $d (valid: netdevsim, igb)" >&2; exit 2;;
  esac
  echo "== lab VM: $d"
  "$HERE/boot/run-vm.sh" -v "$LABVM_DIR" "${args[@]}" --env NICVISOR_LAB_BENCH "test/lab/vm/$d.sh" || rc=1
done
exit $rc
