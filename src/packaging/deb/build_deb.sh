#!/bin/sh
# build_deb.sh BUILD_DIR OUT_DIR: the Debian package of oep (dpkg-deb) from the binaries in
# BUILD_DIR; prints the .deb's path. Contents:
#   /usr/bin/oep, oep-serve, oep-pdf      the binaries (debug sections stripped)
#   /lib/systemd/system/oep.service       `oep serve` as user oep, hardened, state in /var/lib/oep
#   /etc/oep/oep.yaml                     the default config (a conffile)
#   /usr/share/oep/monitors/              the built-in monitors the config enables
#   /usr/share/man/man1/oep.1.gz          made from the CLI's help (manpage.sh)
#   /usr/share/doc/oep/README.md
# postinst makes the system user oep. $OEP_DEB_COMPRESSION: dpkg-deb -Z type (default xz).
set -eu
build=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
version=$("$build/oep" --version | sed 's/^oep //')
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/oep" \
  "$stage/usr/share/oep/monitors" "$stage/usr/share/man/man1" "$stage/usr/share/doc/oep"
for b in oep oep-serve oep-pdf; do
  strip --strip-debug -o "$stage/usr/bin/$b" "$build/$b"
  chmod 0755 "$stage/usr/bin/$b"
done
install -m 0644 "$here/oep.service" "$stage/lib/systemd/system/oep.service"
install -m 0644 "$here/oep.yaml" "$stage/etc/oep/oep.yaml"
for f in "$root"/permissions/policy/monitors/*; do
  case "$f" in *_test.rego) continue ;; esac
  install -m 0644 "$f" "$stage/usr/share/oep/monitors/"
done
sh "$here/manpage.sh" "$build/oep" | gzip -9n > "$stage/usr/share/man/man1/oep.1.gz"
install -m 0644 "$root/README.md" "$stage/usr/share/doc/oep/README.md"
install -m 0755 "$here/postinst" "$here/postrm" "$stage/DEBIAN/"
echo /etc/oep/oep.yaml > "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: oep
Version: $version
Architecture: $arch
Maintainer: oep maintainers <maintainers@oep.invalid>
Installed-Size: $size
Depends: passwd
Recommends: systemd
Section: admin
Priority: optional
Description: embedded evidence plane for AI agents
 oep records what an AI agent was released with, what it did and which tool
 calls its policy allowed or denied, in a hash-chained store, and replays them.
 This package runs the evidence server (oep serve) as a systemd service.
CONTROL
mkdir -p "$out"
deb="$out/oep_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Z"${OEP_DEB_COMPRESSION:-xz}" --build "$stage" "$deb" >/dev/null
echo "$deb"
