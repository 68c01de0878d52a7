#!/usr/bin/env bash
# Build nicvisor_VERSION_ARCH.deb from this checkout (after `npm run build`): the command at
# /usr/bin/nicvisor, its code and production dependencies (exact versions from
# package-lock.json) under /usr/lib/nicvisor, the systemd unit, tmpfiles.d and sysusers.d,
# bash and zsh completion, the man page, and the docs with the sample config.
# Usage: packaging/build-deb.sh [OUT_DIR]   (default: artifacts/)   Needs: npm, dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-artifacts}")
[ -f dist/cli/main.js ] || { echo "build-deb: run \`npm run build\` first" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "build-deb: dpkg-deb is missing (apt-get install dpkg)" >&2; exit 1; }

version=$(node -p 'require("./package.json").version')
# koffi (the netlink FFI) installs the native binary of this machine: the package is per arch.
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage="$work/root"
app="$stage/usr/lib/nicvisor"
mkdir -p "$app" "$stage/usr/bin" "$stage/DEBIAN"

# The files package.json publishes (the same set `npm pack` gives), then the production
# dependencies exactly as locked, overrides included.
npm pack --ignore-scripts --silent --pack-destination "$work" >/dev/null
tar -xzf "$work/nicvisor-$version.tgz" -C "$app" --strip-components=1
cp package-lock.json "$app/"
(cd "$app" && npm ci --omit=dev --prefer-offline --no-audit --no-fund --engine-strict --loglevel=error)
rm "$app/package-lock.json"
ln -s ../lib/nicvisor/dist/cli/main.js "$stage/usr/bin/nicvisor"

nv() { node "$app/dist/cli/main.js" "$@"; }
install -D -m 0644 packaging/systemd/nicvisor.service "$stage/lib/systemd/system/nicvisor.service"
install -D -m 0644 packaging/tmpfiles.d/nicvisor.conf "$stage/usr/lib/tmpfiles.d/nicvisor.conf"
install -D -m 0644 packaging/sysusers.d/nicvisor.conf "$stage/usr/lib/sysusers.d/nicvisor.conf"
mkdir -p "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
  "$stage/usr/share/man/man1" "$stage/usr/share/doc/nicvisor/examples/vfs"
nv completion bash >"$stage/usr/share/bash-completion/completions/nicvisor"
nv completion zsh >"$stage/usr/share/zsh/vendor-completions/_nicvisor"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)} \
  nv man | gzip -9n >"$stage/usr/share/man/man1/nicvisor.1.gz"
install -m 0644 README.md "$stage/usr/share/doc/nicvisor/README.md"
install -m 0644 packaging/README.md "$stage/usr/share/doc/nicvisor/packaging.md"
install -m 0644 packaging/nicvisor.json "$stage/usr/share/doc/nicvisor/examples/nicvisor.json"
install -m 0644 packaging/vfs/*.json "$stage/usr/share/doc/nicvisor/examples/vfs/"
chmod -R u=rwX,go=rX "$stage/usr"
# npm makes a bin executable when it installs a package; this tree was unpacked by hand.
chmod 0755 "$app/dist/cli/main.js"

size=$(du -sk "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<CONTROL
Package: nicvisor
Version: $version
Architecture: $arch
Maintainer: nicvisor maintainers <nicvisor@localhost>
Depends: nodejs (>= 20)
Section: net
Priority: optional
Installed-Size: $size
Homepage: https://github.com/nicvisor/nicvisor
Description: SR-IOV NIC hypervisor
 Owns the policy of every SR-IOV virtual function of the host: programs it into
 the NIC, keeps it there, answers guests' requests against it, and shows
 counters and decisions through a CLI, a REST API, metrics and a dashboard.
CONTROL
# Create the group and directories; never start or enable a daemon that has no PFs yet.
cat >"$stage/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
  systemd-sysusers nicvisor.conf
  systemd-tmpfiles --create nicvisor.conf
  systemctl daemon-reload
fi
exit 0
POSTINST
cat >"$stage/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop nicvisor.service || true
fi
exit 0
PRERM
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm"

mkdir -p "$out"
deb="$out/nicvisor_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
echo "$deb"
