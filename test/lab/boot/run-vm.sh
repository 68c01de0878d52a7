#!/usr/bin/env bash
# test/lab/boot/run-vm.sh [options] SCRIPT [ARGS...]
#
# Boots the VM built by test/lab/image/build-vm.sh and runs SCRIPT (a bash script on the
# host) inside it as root, then powers off. Exits with SCRIPT's exit status (255: VM died /
# timed out, 254: guest init failed, 253: the guest could not set up SCRIPT's cwd or --cached,
# 2: bad usage or no VM).
#
# Inside the guest:
#   /                 the host's root filesystem, read-only over virtio-9p, with a tmpfs overlay
#                     (writes succeed but are thrown away) -> node, ip, devlink, ethtool, bridge,
#                     tc, the repo's node_modules are all the host's own.
#   SHARE (default: current directory) is mounted read-write at the same path: results written
#                     there land on the host. SCRIPT runs with cwd = current directory.
#   SHARE/dist, SHARE/node_modules  read-only, served from the cached root above instead of the
#                     uncached share (see --cached): the same host files, read once per boot.
#   /lib/modules/`uname -r`  the VM's modules (test/lab/image/modules.txt), so
#                     'modprobe netdevsim' works.
#   /sys/kernel/debug debugfs (netdevsim knobs live in /sys/kernel/debug/netdevsim/)
#   No udev: nothing is auto-loaded on device hotplug (modprobe igbvf BEFORE writing
#   sriov_numvfs, or the VFs stay driverless) and netdevs keep kernel names (eth0, eth1...).
#   Kernel-requested modules (ip link add ... type veth/vlan/bridge) do auto-load.
#
# Options:
#   -v DIR        VM directory (default: $NICVISOR_LABVM, else /var/cache/nicvisor/labvm)
#   -s DIR        shared folder (default: $PWD)
#   -m MB         guest memory (default 2048)        --smp N   vCPUs (default: nproc)
#   --igb         add an emulated Intel 82576 NIC (QEMU >= 8.0 '-device igb', SR-IOV, up to 7 VFs);
#                 repeat for more NICs (eth0, eth1, ...: the k-th one's backend is netdev n<k-1>)
#   Cable pull: inside the VM, `/run/labvm/link n0 off|on` sets the link of the k-th igb's backend
#                 (QEMU's set_link over QMP, done on the host), as pulling its cable would.
#   --accel A     kvm | tcg | auto (default auto: kvm only if the CPU shows vmx/svm; a /dev/kvm
#                 without them, e.g. the 'kvm_pvm' nested module, hangs stock kernels)
#   --cpu MODEL   QEMU -cpu (default: host for kvm, max for tcg)
#   --timeout S   kill the VM after S seconds (default 600), counted from the boot
#   --env NAME    pass the host variable NAME into the guest (repeatable)
#   --dmesg FILE  save the guest's dmesg there
#   --cached DIR  serve SHARE/DIR read-only from the guest's cached view of the host's root
#                 (repeatable; default: dist and node_modules; a DIR that is missing or a
#                 symlink is left alone). --uncached: none, everything through the share.
#                 The share itself has no cache (so writes on either side are seen at once):
#                 each file node opens there costs round trips to the host, for every process
#                 (measured: the CLI's start 23-31 s from the share, 6-10 s cached). Cached
#                 means the guest reads each file from the host once per boot: do not rebuild
#                 dist/ on the host while a VM runs.
#
# LABVM_LOCK=FILE: hold flock(2) on FILE while the VM runs, so that checkouts sharing this
# machine boot one VM at a time (two TCG guests on 2 cores slow each other past timeouts).
# Not taken again when a caller above already holds it (`flock FILE npm test`).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../defaults.sh"
VMDIR=$LABVM_DIR; SHARE=$PWD; MEM=2048; SMP=$(nproc); IGB=0; ACCEL=auto; TMO=600
DMESG=; ENVS=(); CPU=; CACHED=(dist node_modules); CACHED_SET=
while [ $# -gt 0 ]; do
  case $1 in
    -v) VMDIR=$2; shift 2;;
    -s) SHARE=$2; shift 2;;
    -m) MEM=$2; shift 2;;
    --smp) SMP=$2; shift 2;;
    --igb) IGB=$((IGB + 1)); shift;;
    --accel) ACCEL=$2; shift 2;;
    --cpu) CPU=$2; shift 2;;
    --timeout) TMO=$2; shift 2;;
    --env) ENVS+=("$2"); shift 2;;
    --dmesg) DMESG=$2; shift 2;;
    --cached) [ -n "$CACHED_SET" ] || CACHED=(); CACHED_SET=1; CACHED+=("$2"); shift 2;;
    --uncached) CACHED=(); CACHED_SET=1; shift;;
    --) shift; break;;
    -*) echo "run-vm.sh: unknown option $1" >&2; exit 2;;
    *) break;;
  esac
done
[ $# -ge 1 ] || { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;$d' >&2; exit 2; }
[ -f "$VMDIR/initrd.img" ] || { echo "run-vm.sh: no VM in '$VMDIR' (build it: test/lab/image/build-vm.sh '$VMDIR')" >&2; exit 2; }
SCRIPT=$(realpath "$1"); shift
SHARE=$(realpath "$SHARE")

KERNEL=$VMDIR/vmlinux; [ -f "$KERNEL" ] || KERNEL=$VMDIR/vmlinuz
if [ "$ACCEL" = auto ]; then
  if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then ACCEL=kvm; else ACCEL=tcg; fi
fi
case $ACCEL in
  kvm) ACC=(-accel kvm -cpu "${CPU:-host}");;
  tcg) ACC=(-accel tcg,thread=multi -cpu "${CPU:-max}");;
  *) echo "run-vm.sh: bad --accel $ACCEL" >&2; exit 2;;
esac

CTL=$(mktemp -d -t labvm.XXXXXX)
QMPDIR=$(mktemp -d -t labvmqmp.XXXXXX)   # not shared with the guest
QPID=; WPID=
cleanup() { [ -n "$WPID" ] && kill "$WPID" 2>/dev/null; [ -n "$QPID" ] && kill "$QPID" 2>/dev/null; rm -rf "$CTL" "$QMPDIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
{
  echo '#!/bin/bash'
  for n in "${ENVS[@]}"; do printf 'export %s=%q\n' "$n" "${!n-}"; done
  if [ ${#CACHED[@]} -gt 0 ]; then
    # '/' bound without its submounts is the root overlay, whose lower layer is the host's
    # root over 9p with cache=loose: SHARE's files as they were at boot, through the page cache.
    echo 'cached() { echo "run-vm.sh (guest): cannot serve $1 from the cached root" >&2; exit 253; }'
    echo 'mkdir -p /run/labvm-root && mount --bind / /run/labvm-root || cached /; BOUND=()'
    for d in "${CACHED[@]}"; do
      p=$SHARE/$d
      [ -d "$p" ] && [ ! -L "$p" ] || continue
      printf 'mount --bind %q %q && mount -o remount,bind,ro %q || cached %q\n' "/run/labvm-root$p" "$p" "$p" "$p"
      printf 'BOUND+=(%q)\n' "$p"
    done
  fi
  printf 'cd %q || exit 253\n' "$PWD"
  if [ ${#CACHED[@]} -eq 0 ]; then
    printf 'exec /bin/bash %q' "$SCRIPT"; printf ' %q' "$@"; echo
  else
    printf '/bin/bash %q' "$SCRIPT"; printf ' %q' "$@"; echo '; rc=$?'
    # init unmounts the share before powering off: the binds on it go first (lazily, as a
    # process SCRIPT left behind may still hold a file there).
    echo 'for p in "${BOUND[@]}"; do umount -l "$p"; done; umount -l /run/labvm-root; exit $rc'
  fi
} > "$CTL/cmd.sh"
printf '%s' "$SHARE" > "$CTL/share"

NET=(-nic none)
# Each igb on its own PCIe root port so the PF's SR-IOV extended capability and the VFs are
# visible (q35). 'restrict=on': the user-mode backend can't reach outside the VM.
for ((k = 0; k < IGB; k++)); do
  NET+=(-netdev "user,id=n$k,restrict=on"
        -device "pcie-root-port,id=rp$((k + 1)),chassis=$((k + 1)),slot=$((k + 1))"
        -device "igb,bus=rp$((k + 1)),netdev=n$k,mac=52:54:00:12:34:$(printf %02x $((0x56 + k)))")
done

# Cable pulls requested by the guest: it writes /run/labvm/linkreq/ID ("n0 off"); the host
# sends QMP set_link and writes ID.done with the answer.
mkdir -p "$CTL/linkreq"
install -m 0755 "$HERE/link.sh" "$CTL/link"
link_watcher() {
  while sleep 0.05; do
    for f in "$CTL"/linkreq/*; do
      case $f in *.tmp|*.done|*'*') continue;; esac
      [ -f "$f" ] || continue
      read -r dev state < "$f" || true
      up=false; [ "$state" = on ] && up=true
      python3 "$HERE/set-link.py" "$QMPDIR/qmp.sock" "$dev" "$up" > "$f.done" 2>&1 || true
      rm -f "$f"
    done
  done
}

# Is FILE flock(2)ed by a process above us? /proc/locks names the holder's pid and the
# file as MAJOR:MINOR:INODE (hex device numbers, the kernel's own split of st_dev).
held_above() {
  local dev ino key holders p h
  dev=$(stat -c %d "$1"); ino=$(stat -c %i "$1")
  key=$(printf '%02x:%02x:%s' $(((dev >> 8) & 0xfff)) $(((dev & 0xff) | ((dev >> 12) & 0xfff00))) "$ino")
  holders=$(awk -v k="$key" '$2 == "FLOCK" && $6 == k { print $5 }' /proc/locks)
  [ -n "$holders" ] || return 1
  p=$PPID
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do
    for h in $holders; do [ "$h" = "$p" ] && return 0; done
    p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
  done
  return 1
}
if [ -n "${LABVM_LOCK:-}" ] && ! { [ -e "$LABVM_LOCK" ] && held_above "$LABVM_LOCK"; }; then
  exec 9>> "$LABVM_LOCK"   # inherited by QEMU: the lock lasts as long as the VM
  if ! flock -n 9; then
    echo "run-vm.sh: waiting for $LABVM_LOCK (another lab VM is running)" >&2
    flock 9
  fi
fi

V9=security_model=none,multidevs=remap
T0=$(date +%s.%N)
set +e
timeout -k 5 "$TMO" qemu-system-x86_64 -machine q35 "${ACC[@]}" -smp "$SMP" -m "$MEM" \
  -display none -monitor none -no-reboot -nodefaults \
  -chardev stdio,id=con,signal=off -serial chardev:con \
  -kernel "$KERNEL" -initrd "$VMDIR/initrd.img" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic tsc=reliable " \
  -virtfs "local,path=/,mount_tag=hostroot,$V9,readonly=on" \
  -virtfs "local,path=$CTL,mount_tag=labvmctl,$V9" \
  -virtfs "local,path=$SHARE,mount_tag=share,$V9" \
  -qmp "unix:$QMPDIR/qmp.sock,server=on,wait=off" \
  "${NET[@]}" < /dev/null &
QPID=$!
link_watcher & WPID=$!
wait "$QPID"
QRC=$?
QPID=
set -e
T1=$(date +%s.%N)
[ -n "$DMESG" ] && cp "$CTL/dmesg.txt" "$DMESG" 2>/dev/null || true
if [ -f "$CTL/rc" ]; then RC=$(cat "$CTL/rc"); else RC=255; echo "run-vm.sh: VM ended without a result (qemu rc=$QRC)" >&2; fi
awk -v a="$ACCEL" -v t0="$T0" -v t1="$T1" -v rc="$RC" 'BEGIN{printf "run-vm.sh: %s, %.1f s, exit %s\n", a, t1-t0, rc}' >&2
exit "$RC"
