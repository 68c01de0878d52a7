#!/bin/bash
# /run/labvm/link NETDEV on|off, inside the lab VM: pulls (off) or plugs (on) the cable of
# an emulated igb (NETDEV n0 for the first, n1 for the second, …). The guest cannot reach
# QEMU, so it leaves a request in the control folder; run-vm.sh on the host sends QMP
# set_link and writes the answer next to it. Prints the answer; exit 0 when QEMU accepted.
set -e
[ $# -eq 2 ] || { echo "usage: $0 NETDEV on|off" >&2; exit 2; }
id=$$.$RANDOM
echo "$1 $2" > /run/labvm/linkreq/$id.tmp
mv /run/labvm/linkreq/$id.tmp /run/labvm/linkreq/$id
for _ in $(seq 1 100); do
  if [ -f /run/labvm/linkreq/$id.done ]; then
    cat /run/labvm/linkreq/$id.done
    grep -q '"return"' /run/labvm/linkreq/$id.done
    exit
  fi
  sleep 0.1
done
echo "link: no answer from the host" >&2; exit 1
