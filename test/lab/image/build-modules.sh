#!/usr/bin/env bash
# build-modules.sh WORK KSERIES HEADERS_DIR MODDIR
#
# Builds, out of tree from Debian's own kernel source (WORK/debs/linux-source-*.deb), the two
# modules Debian's kernel lacks or builds without what the lab needs, and installs them into
# MODDIR (the unpacked kernel's /lib/modules/KVER):
#   netdevsim.ko  Debian sets CONFIG_NETDEVSIM off      -> MODDIR/extra/
#   vfio.ko       Debian 6.1 sets CONFIG_VFIO_NOIOMMU off, so `enable_unsafe_noiommu_mode`
#                 does not exist and vfio-pci refuses every device of a VM without an IOMMU.
#                 The option only touches drivers/vfio/ itself (container.c, vfio_main.c and
#                 their private vfio.h), not the structures vfio-pci and the IOMMU backends
#                 share, so the rebuilt vfio.ko replaces Debian's and loads with Debian's
#                 vfio-pci (same source and headers, so the same symbol CRCs).
set -euo pipefail
WORK=${1:?usage: build-modules.sh WORK KSERIES HEADERS_DIR MODDIR}
KSERIES=${2:?}; KB=${3:?}; MODDIR=${4:?}
log() { echo "[build-vm $(date +%T)] $*" >&2; }
cd "$WORK"

log "extracting drivers/net/netdevsim and drivers/vfio from linux-source-$KSERIES"
dpkg-deb --fsys-tarfile debs/linux-source-*.deb |
  tar -xO --wildcards "./usr/src/linux-source-$KSERIES.tar.xz" |
  xz -dc -T0 | tar -x --wildcards \
    "linux-source-$KSERIES/drivers/net/netdevsim/*" "linux-source-$KSERIES/drivers/vfio/*"
rm -rf nsim vfio
cp -r "linux-source-$KSERIES/drivers/net/netdevsim" nsim
cp -r "linux-source-$KSERIES/drivers/vfio" vfio

# kbuild M= builds; BTF for modules needs the kernel's vmlinux BTF, which headers lack.
kmake() {
  make -s -C "$KB" M="$1" CONFIG_DEBUG_INFO_BTF_MODULES= -j"$(nproc)" "${@:2}" modules 2>&1 |
    grep -v 'Skipping BTF' >&2 || true
}

log "building netdevsim.ko"
kmake "$WORK/nsim" CONFIG_NETDEVSIM=m
[ -f nsim/netdevsim.ko ] || { echo "netdevsim build failed" >&2; exit 1; }

log "building vfio.ko with CONFIG_VFIO_NOIOMMU"
# kbuild reads a Kbuild file before the Makefile: ours builds vfio.o alone (vfio-pci, mdev…
# in the subdirectories stay Debian's), from the object list of the source's own Makefile
# (the vfio-… lines, with their continuations), with the option defined for the C code.
{
  echo 'obj-m := vfio.o'
  awk '/^vfio-/ { p = 1 } p { print } p && !/\\$/ { p = 0 }' vfio/Makefile
  echo 'ccflags-y += -DCONFIG_VFIO_NOIOMMU=1'
} > vfio/Kbuild
kmake "$WORK/vfio"
[ -f vfio/vfio.ko ] || { echo "vfio build failed" >&2; exit 1; }
modinfo -F parm vfio/vfio.ko | grep -q '^enable_unsafe_noiommu_mode:' ||
  { echo "vfio.ko was built without enable_unsafe_noiommu_mode" >&2; exit 1; }

strip --strip-debug nsim/netdevsim.ko vfio/vfio.ko
mkdir -p "$MODDIR/extra"
cp nsim/netdevsim.ko "$MODDIR/extra/"
old=$(find "$MODDIR/kernel/drivers/vfio" -maxdepth 1 -name 'vfio.ko*' | head -1)
[ -n "$old" ] || { echo "no vfio.ko in Debian's kernel package" >&2; exit 1; }
rm -f "$old"; cp vfio/vfio.ko "$MODDIR/kernel/drivers/vfio/vfio.ko"
