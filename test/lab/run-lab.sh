#!/bin/bash
# test/lab/run-lab.sh VMDIR [netdevsim|igb]...
# Boots the lab VM once per device and runs the linux driver's tests inside it (compile
# first: `npx tsc -p .`). Exit status: 0 when every boot passed.
# NICVISOR_LAB_BENCH=1 also runs bench/linux inside the netdevsim boot.
set -u
VM=${1:?usage: run-lab.sh VMDIR [netdevsim|igb]...}; shift
DEVICES=("$@"); [ ${#DEVICES[@]} -gt 0 ] || DEVICES=(netdevsim igb)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
LAB=${NICVISOR_LAB_SCRIPTS:-$REPO/../shared/lab}
[ -x "$LAB/run-vm.sh" ] || { echo "run-lab.sh: no $LAB/run-vm.sh (set NICVISOR_LAB_SCRIPTS)" >&2; exit 2; }
cd "$REPO" || exit 2
rc=0
for d in "${DEVICES[@]}"; do
  case $d in
    netdevsim) args=(--timeout 300);;
    igb) args=(--igb --timeout 400);;
    *) echo "run-lab.sh: unknown device $d" >&2; exit 2;;
  esac
  echo "== lab VM: $d"
  "$LAB/run-vm.sh" -v "$VM" "${args[@]}" --env NICVISOR_LAB_BENCH "test/lab/vm/$d.sh" || rc=1
done
exit $rc
