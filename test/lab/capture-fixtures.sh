#!/bin/bash
# Captures the exact netlink bytes iproute2 sends (and the kernel answers) for each VF
# attribute, inside the lab VM against netdevsim, with strace's hex dump of the socket I/O.
# Run: test/lab/boot/run-vm.sh test/lab/capture-fixtures.sh OUTDIR
# The dumps are turned into test/fixtures/netlink/*.hex by test/lab/strace-to-hex.mjs.
set -u
OUT=${1:?usage: capture-fixtures.sh OUTDIR}; mkdir -p "$OUT"
modprobe netdevsim
echo "10 1" > /sys/bus/netdevsim/new_device
sleep 0.5
D=/sys/bus/netdevsim/devices/netdevsim10
echo 8 > /sys/kernel/debug/netdevsim/netdevsim10/max_vfs
echo 4 > $D/sriov_numvfs
PF=$(ls $D/net/)
ip link set "$PF" up
echo "PF=$PF ifindex=$(cat /sys/class/net/$PF/ifindex)" > "$OUT/info.txt"
cap() {   # cap NAME ip-args...
  local name=$1; shift
  strace -f -e trace=sendmsg,sendto,recvmsg -e write=all -e read=all -o "$OUT/$name.strace" ip "$@" \
    > "$OUT/$name.stdout" 2> "$OUT/$name.stderr"
  echo "$name rc=$? : ip $*" >> "$OUT/info.txt"
}
cap mac           link set "$PF" vf 0 mac 02:00:00:00:00:01
cap vlan-qos      link set "$PF" vf 0 vlan 100 qos 3
cap vlan-ad       link set "$PF" vf 0 vlan 100 proto 802.1ad
cap vlan-0        link set "$PF" vf 0 vlan 0
cap spoofchk-on   link set "$PF" vf 1 spoofchk on
cap spoofchk-off  link set "$PF" vf 1 spoofchk off
cap trust-on      link set "$PF" vf 1 trust on
cap state-enable  link set "$PF" vf 1 state enable
cap state-disable link set "$PF" vf 1 state disable
cap state-auto    link set "$PF" vf 1 state auto
cap rate          link set "$PF" vf 2 min_tx_rate 10 max_tx_rate 100
cap all           link set "$PF" vf 3 mac 02:00:00:00:00:04 vlan 100 qos 2 proto 802.1ad spoofchk on trust on state enable min_tx_rate 10 max_tx_rate 100
cap err-qos       link set "$PF" vf 0 vlan 10 qos 8
cap err-vf-range  link set "$PF" vf 9 trust on
cap err-mcast-mac link set "$PF" vf 0 mac 03:00:00:00:00:01
cap show-d        -d link show "$PF"
cap show-sd       -s -d link show "$PF"
cap err-mtu       link set "$PF" mtu 70000
ip -d -j link show "$PF" > "$OUT/pf.json"
# 256 VFs: the VF list with stats passes 64 KiB and its 16-bit length wraps.
echo 0 > $D/sriov_numvfs
echo 256 > /sys/kernel/debug/netdevsim/netdevsim10/max_vfs
echo 256 > $D/sriov_numvfs
ip link set "$PF" vf 255 mac 02:00:00:00:00:ff vlan 255 qos 5
ip link set "$PF" vf 200 trust on
cap show-256      -s -d link show "$PF"
ip -d -j link show "$PF" > "$OUT/pf-256.json"
