#!/bin/sh
# The lab VM's /init (busybox sh, inside the initramfs): mount the host's root read-only
# over virtio-9p with a tmpfs overlay, run /run/labvm/cmd.sh (written by boot/run-vm.sh) in
# a chroot on the console, save its exit status and dmesg, power off.
export PATH=/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
# Modules the kernel asks for (ip link add … type vlan, team modes, tc actions) are loaded
# by the host's kmod in the chroot once it is up (see /sbin/labvm-modprobe).
echo /sbin/labvm-modprobe > /proc/sys/kernel/modprobe
for m in virtio_pci 9pnet_virtio 9p overlay; do modprobe $m || echo "labvm: modprobe $m failed"; done
fail() { echo "labvm: $*"; echo "LABVM_EXIT=254"; poweroff -f; sleep 5; }
O="trans=virtio,version=9p2000.L,msize=524288"
mkdir -p /ctl; mount -t 9p -o "$O,cache=none" labvmctl /ctl || fail "cannot mount ctl"
SHARE=$(cat /ctl/share 2>/dev/null)
mount -t 9p -o "$O,ro,cache=loose" hostroot /lower || fail "cannot mount hostroot"
mount -t tmpfs -o mode=0755 tmpfs /upper; mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot || fail "overlay"
R=/newroot
mount -t proc proc $R/proc; mount -t sysfs sysfs $R/sys; mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm; mount -t devpts devpts $R/dev/pts; mount -t tmpfs tmpfs $R/dev/shm
mount -t tmpfs -o mode=0755 tmpfs $R/run
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mount -t bpf bpf $R/sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
K=$(uname -r); mkdir -p $R/lib/modules/$K; mount --bind /lib/modules/$K $R/lib/modules/$K
mkdir -p $R/run/labvm; mount --bind /ctl $R/run/labvm
if [ -n "$SHARE" ]; then mkdir -p "$R$SHARE"; mount -t 9p -o "$O,cache=none" share "$R$SHARE" || fail "cannot mount share"; fi
ip link set lo up; hostname labvm
stty -onlcr -echo 2>/dev/null < /dev/console
chroot $R /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 LABVM=1 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/bash /run/labvm/cmd.sh < /dev/console > /dev/console 2>&1
rc=$?
dmesg > $R/run/labvm/dmesg.txt 2>/dev/null; echo $rc > $R/run/labvm/rc
sync; echo "LABVM_EXIT=$rc"
[ -n "$SHARE" ] && umount "$R$SHARE"; umount $R/run/labvm; umount /ctl
poweroff -f; sleep 5
