#!/bin/sh
# /sbin/labvm-modprobe in the initramfs, the kernel's modprobe helper (request_module runs
# it in init's root, the initramfs): once the host's root is up, the host's kmod in the
# chroot resolves every alias; before that, busybox's modprobe loads the boot modules.
[ -x /newroot/sbin/modprobe ] && exec /bin/chroot /newroot /sbin/modprobe "$@"
exec /bin/modprobe "$@"
