#!/usr/bin/env bash
# test/lab/image/build-vm.sh [OUTDIR]
#
# Builds the lab VM: a small QEMU guest with Debian's own kernel, in which SR-IOV works with
# the standard tools (netdevsim, and QEMU's emulated Intel 82576 with igb/igbvf), for testing
# the linux driver against a real kernel. OUTDIR (default: $NICVISOR_LABVM, else
# /var/cache/nicvisor/labvm, see ../defaults.sh) receives:
#   vmlinux      uncompressed Debian kernel (PVH ELF entry: boots ~4 s faster under TCG)
#   vmlinuz      the same kernel as shipped (fallback if vmlinux is missing)
#   initrd.img   busybox + init.sh + the modules of modules.txt with their dependencies,
#                netdevsim.ko and a vfio.ko with the no-IOMMU mode (build-modules.sh)
#   config, kver, manifest.txt (kernel, QEMU, every module), .stamp
# The guest runs the HOST's root filesystem read-only (see ../boot/run-vm.sh), so node,
# iproute2, ethtool and kmod inside the VM are the host's: they are installed here.
#
# For Debian 12 (bookworm) amd64 with Debian's archive reachable, as root. Idempotent:
# packages are only installed when missing, and nothing is rebuilt while OUTDIR/.stamp
# matches (same kernel package version, same files in this folder, same extra modules).
# One build at a time per OUTDIR (a lock in OUTDIR).
#
# Env knobs:
#   LABVM_KERNEL_META      linux-image-amd64 (default: 6.1 LTS) | linux-image-6.12-amd64
#   LABVM_QEMU_BACKPORTS=1 (default) QEMU 10.x from bookworm-backports ('-device igb' with
#                          SR-IOV needs QEMU >= 8.0); 0 = bookworm's QEMU 7.2 (netdevsim only)
#   LABVM_SKIP_APT=1       never call apt-get (everything already installed, lists fresh);
#                          otherwise the package lists are refreshed when older than a day
#   LABVM_EXTRA_MODULES    more module names to put into the initramfs
#   LABVM_KEEP_WORK=1      keep OUTDIR/.work (downloads, extracted trees) for debugging
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../defaults.sh"
OUT=${1:-$LABVM_DIR}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
META=${LABVM_KERNEL_META:-linux-image-amd64}
BACKPORTS=${LABVM_QEMU_BACKPORTS:-1}
SKIP_APT=${LABVM_SKIP_APT:-0}
WORK="$OUT/.work"
APTSTATE="$OUT/.apt"    # private apt lists incl. bookworm-backports; system sources untouched
export DEBIAN_FRONTEND=noninteractive
log() { echo "[build-vm $(date +%T)] $*" >&2; }

# Two checkouts testing at once share OUTDIR: the second waits for the first's build.
exec 8> "$OUT/.build.lock"
flock -n 8 || { log "waiting for another build of $OUT"; flock 8; }

MODULES="$(sed 's/#.*//' "$HERE/modules.txt" | xargs) ${LABVM_EXTRA_MODULES:-}"
# inside the guest (the host's root), and run-vm.sh's QMP helper and lock on the host
RUNTIME_PKGS="kmod iproute2 ethtool busybox-static python3 util-linux"
BUILD_PKGS="cpio xz-utils zstd gcc-12 make binutils"

APTO=()
if [ "$BACKPORTS" = 1 ]; then
  mkdir -p "$APTSTATE/lists/partial" "$APTSTATE/cache/archives/partial"
  # the archive this machine already uses, with the backports suite added
  MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$MIRROR" ] || MIRROR=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$MIRROR" ] || { echo "no Debian archive found in the apt sources" >&2; exit 1; }
  echo "deb $MIRROR bookworm-backports main" > "$APTSTATE/backports.list"
  APTO=(-o "Dir::Etc::sourcelist=$APTSTATE/backports.list" -o "Dir::State::Lists=$APTSTATE/lists"
        -o "Dir::Cache=$APTSTATE/cache")
fi
missing() { local p; for p in "$@"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done; }
apt_install() {   # apt_install [-t suite] pkgs...  (only what is missing)
  local t=(); [ "$1" = -t ] && { t=(-t "$2"); shift 2; }
  local m; m=$(missing "$@")
  [ -z "$m" ] && return 0
  [ "$SKIP_APT" = 1 ] && { echo "missing packages: $m (LABVM_SKIP_APT=1)" >&2; exit 1; }
  log "apt-get install $m"
  apt-get "${APTO[@]}" install -y -qq --no-install-recommends "${t[@]}" $m >/dev/null
}

# ---------------------------------------------------------------- resolve kernel, runtime deps
# Package lists younger than a day are fresh enough to find a new kernel: skipping the
# update keeps an up-to-date check at ~1 s (an update takes 5-20 s here).
if [ "$SKIP_APT" != 1 ] && [ -z "$(find "$OUT/.apt-updated" -mmin -1440 2>/dev/null)" ]; then
  log "apt-get update"; apt-get "${APTO[@]}" update -qq; touch "$OUT/.apt-updated"
fi
KPKG=$(apt-cache "${APTO[@]}" depends "$META" | awk '/Depends: linux-image-/{print $2; exit}')
[ -n "$KPKG" ] || { echo "cannot resolve the kernel package of $META" >&2; exit 1; }
KVER=${KPKG#linux-image-}
KDEBVER=$(apt-cache "${APTO[@]}" policy "$KPKG" | awk '/Candidate:/{print $2}')
KSERIES=$(echo "$KVER" | grep -oE '^[0-9]+\.[0-9]+')

if [ "$BACKPORTS" = 1 ]; then
  if ! qemu-system-x86_64 -device help 2>/dev/null | grep -q '"igb"'; then
    [ "$SKIP_APT" = 1 ] && { echo "qemu with igb missing (LABVM_SKIP_APT=1)" >&2; exit 1; }
    log "installing qemu-system-x86 from bookworm-backports"
    apt-get "${APTO[@]}" install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86 >/dev/null
  fi
else
  apt_install qemu-system-x86
fi
apt_install $RUNTIME_PKGS

# Every file in this folder is an input of the image (scripts, init, module list).
STAMP="$KPKG=$KDEBVER inputs=$(cd "$HERE" && cat $(ls | sort) | sha256sum | cut -c1-16) extra=${LABVM_EXTRA_MODULES:-}"
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ] && [ -f "$OUT/initrd.img" ]; then
  log "up to date ($STAMP)"; exit 0
fi
log "building for $KPKG $KDEBVER"
apt_install $BUILD_PKGS

# ---------------------------------------------------------------- downloads
rm -rf "$WORK"; mkdir -p "$WORK/debs"; cd "$WORK/debs"
HDR="linux-headers-$KVER"
HDR_COMMON=$(apt-cache "${APTO[@]}" depends "$HDR=$KDEBVER" | awk '/Depends: linux-headers-.*-common/{print $2; exit}')
KBUILD=$(apt-cache "${APTO[@]}" depends "$HDR=$KDEBVER" | awk '/Depends: linux-kbuild-/{print $2; exit}')
dl() { apt-get "${APTO[@]}" download -qq "$@" 2>&1 | grep -v 'unsandboxed' >&2 || true; }
log "downloading $KPKG $HDR $HDR_COMMON $KBUILD linux-source-$KSERIES"
dl "$KPKG=$KDEBVER" "$HDR=$KDEBVER" "$HDR_COMMON=$KDEBVER" "$KBUILD"
dl "linux-source-$KSERIES=$KDEBVER"
ls linux-source-*.deb >/dev/null 2>&1 || dl "linux-source-$KSERIES"   # version skew: take candidate
ls linux-image-*.deb linux-headers-*.deb linux-kbuild-*.deb linux-source-*.deb >/dev/null

cd "$WORK"
dpkg -x debs/linux-image-*.deb kimg
for d in debs/linux-headers-*.deb debs/linux-kbuild-*.deb; do dpkg -x "$d" hdr; done
KB="$WORK/hdr/usr/src/$HDR"
sed -i "s|include /usr/src/|include $WORK/hdr/usr/src/|" "$KB/Makefile"   # private headers tree
MODDIR="$WORK/kimg/lib/modules/$KVER"
cp "kimg/boot/vmlinuz-$KVER" "$OUT/vmlinuz.new"
cp "kimg/boot/config-$KVER" "$OUT/config"

# vmlinux (PVH-bootable ELF) out of vmlinuz: find the compressed payload and unpack it.
extract_vmlinux() {
  local img=$1 out=$2 spec kind magic off
  for spec in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
    kind=${spec%%:*}; magic=${spec#*:}
    for off in $(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1 | head -5); do
      case $kind in
        xz)   tail -c +$((off+1)) "$img" | xz -dc --single-stream > "$out" 2>/dev/null || true ;;
        zstd) tail -c +$((off+1)) "$img" | zstd -dcq > "$out" 2>/dev/null || true ;;
        gzip) tail -c +$((off+1)) "$img" | gzip -dc > "$out" 2>/dev/null || true ;;
      esac
      if [ -s "$out" ] && [ "$(head -c4 "$out" | tail -c3)" = ELF ]; then return 0; fi
    done
  done
  rm -f "$out"; return 1
}
if extract_vmlinux "$OUT/vmlinuz.new" "$OUT/vmlinux.new"; then
  strip --strip-all "$OUT/vmlinux.new" 2>/dev/null || true
else
  log "WARNING: could not extract vmlinux; run-vm.sh will boot vmlinuz"
fi

# ---------------------------------------------------------------- out-of-tree modules
"$HERE/build-modules.sh" "$WORK" "$KSERIES" "$KB" "$MODDIR"
depmod -b "$WORK/kimg" "$KVER"

# ---------------------------------------------------------------- initramfs
log "assembling initramfs"
IR="$WORK/initramfs"
mkdir -p "$IR"/{bin,sbin,proc,sys,dev,run,tmp,lower,upper,newroot,etc} "$IR/lib/modules/$KVER"
cp /bin/busybox "$IR/bin/busybox"
for a in $("$IR/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$IR/bin/$a"; done
install -m 0755 "$HERE/labvm-modprobe.sh" "$IR/sbin/labvm-modprobe"
install -m 0755 "$HERE/init.sh" "$IR/init"
: > "$WORK/modlist"; NOTFOUND=
for m in $MODULES; do
  deps=$(modprobe -d "$WORK/kimg" -S "$KVER" --show-depends "$m" 2>/dev/null) || { NOTFOUND+=" $m"; continue; }
  echo "$deps" | awk '$1=="insmod"{print $2}' >> "$WORK/modlist"
done
[ -z "$NOTFOUND" ] || { echo "build-vm.sh: $KPKG has no module$NOTFOUND (modules.txt, LABVM_EXTRA_MODULES)" >&2; exit 1; }
sort -u "$WORK/modlist" | while read -r f; do
  rel=${f#"$MODDIR"/}
  mkdir -p "$IR/lib/modules/$KVER/$(dirname "$rel")"
  cp "$f" "$IR/lib/modules/$KVER/$rel"
done
# Debian >= 6.2 ships .ko.xz: decompress so busybox modprobe/insmod can load them too.
find "$IR/lib/modules" -name '*.ko.xz' -exec xz -d {} +
find "$IR/lib/modules" -name '*.ko.zst' -exec zstd -dq --rm {} +
cp "$MODDIR"/modules.{order,builtin,builtin.modinfo} "$IR/lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$IR" "$KVER"

(cd "$IR" && find . -print0 | cpio --null -o -H newc --quiet) > "$OUT/initrd.img.new"

# ---------------------------------------------------------------- finish
mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
if [ -f "$OUT/vmlinux.new" ]; then mv "$OUT/vmlinux.new" "$OUT/vmlinux"; else rm -f "$OUT/vmlinux"; fi
mv "$OUT/initrd.img.new" "$OUT/initrd.img"
{
  echo "kernel: $KPKG $KDEBVER ($KVER)"
  echo "qemu: $(qemu-system-x86_64 --version | head -1)"
  echo "built out of tree from linux-source-$KSERIES against $HDR: netdevsim.ko, vfio.ko (CONFIG_VFIO_NOIOMMU)"
  echo "modules:"; sed "s|$MODDIR/||" "$WORK/modlist" | sort -u | sed 's/^/  /'
} > "$OUT/manifest.txt"
echo "$KVER" > "$OUT/kver"
[ "${LABVM_KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
[ "$BACKPORTS" = 1 ] && apt-get "${APTO[@]}" clean 2>/dev/null || true
echo "$STAMP" > "$OUT/.stamp"
log "done: $(cd "$OUT" && du -sh vmlinu? initrd.img | tr '\n\t' '  ')"
