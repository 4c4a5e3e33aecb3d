#!/usr/bin/env bash
# Builds the e2e testbed's Kubernetes control plane once and caches it: kube-apiserver,
# kube-controller-manager and kube-scheduler v1.20.2 from Debian bookworm's `kubernetes` source
# package (the full upstream tree with vendor/) using Debian's Go 1.19, and etcd 3.4 from Debian's
# etcd-server package, unpacked so that no system service starts. Only Debian's apt is used.
# A no-op when the binaries are already in $KUBE_TESTBED_BIN. About 10 minutes cold on 2 cores.
#
# Two traps this works around (see ../../docs/testing.md): build through `make WHAT=...` (a plain
# `go build` misses the generated OpenAPI code), and swap the vendored modern-go/reflect2 v1.0.1
# for Debian's 1.0.2, without which the apiserver crashes on the first custom resource under Go 1.19.
set -euo pipefail
KUBE_TESTBED_BIN=${KUBE_TESTBED_BIN:-$HOME/.cache/runnel/kube-1.20.2/bin}
work=${KUBE_TESTBED_WORK:-$HOME/.cache/runnel/kube-1.20.2/work}
targets="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler"
source_version=1.20.5+really1.20.2-1.1+deb12u1

missing=0
for b in $targets etcd; do [ -x "$KUBE_TESTBED_BIN/$(basename "$b")" ] || missing=1; done
[ "$missing" = 1 ] || exit 0

need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
mkdir -p "$KUBE_TESTBED_BIN" "$work"
echo "build-kube: building the Kubernetes v1.20.2 control plane into $KUBE_TESTBED_BIN (cached afterwards)"
installed=$(dpkg-query -W -f='${Status}\n' golang-1.19-go rsync make openssl 2>/dev/null | grep -c 'install ok installed' || true)
if [ "$installed" != 4 ]; then
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-1.19-go rsync make openssl
fi

# etcd and Debian's reflect2, unpacked rather than installed.
(cd "$work" && rm -rf x && apt-get download etcd-server golang-github-modern-go-reflect2-dev >/dev/null \
   && dpkg-deb -x etcd-server_*.deb x && dpkg-deb -x golang-github-modern-go-reflect2-dev_*.deb x)
cp "$work/x/usr/bin/etcd" "$KUBE_TESTBED_BIN/etcd.tmp" && mv "$KUBE_TESTBED_BIN/etcd.tmp" "$KUBE_TESTBED_BIN/etcd"

# A deb-src list derived from the machine's own Debian sources, kept in the work folder so that the
# system's apt configuration is left as it is.
mkdir -p "$work/apt/parts" "$work/apt/lists/partial"
sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$work/apt/parts/debian-src.sources"
apt_src=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/apt/parts" -o "Dir::State::Lists=$work/apt/lists")
if ! ls "$work"/kubernetes_*.orig.tar.gz >/dev/null 2>&1; then
  apt-get "${apt_src[@]}" update -qq
  (cd "$work" && apt-get "${apt_src[@]}" source --download-only "kubernetes=$source_version" >/dev/null)
fi
rm -rf "$work/src" && mkdir -p "$work/src"
tar xzf "$work"/kubernetes_*.orig.tar.gz -C "$work/src" --strip-components=1
reflect2="$work/src/vendor/github.com/modern-go/reflect2"
rm -rf "$reflect2" && mkdir -p "$reflect2"
cp "$work"/x/usr/share/gocode/src/github.com/modern-go/reflect2/*.{go,s} "$reflect2"/ && rm -f "$reflect2"/*_test.go
cd "$work/src"
PATH=/usr/lib/go-1.19/bin:$PATH KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_TREE_STATE=clean KUBE_BUILD_PLATFORMS=linux/amd64 \
  make WHAT="$targets" GOFLAGS=-p=2 GOLDFLAGS="-s -w"
for b in $targets; do cp "_output/bin/$(basename "$b")" "$KUBE_TESTBED_BIN/$(basename "$b").tmp"; mv "$KUBE_TESTBED_BIN/$(basename "$b").tmp" "$KUBE_TESTBED_BIN/$(basename "$b")"; done
rm -rf "$work/src"   # 1.5 GB of sources; the tarball stays for a rebuild
"$KUBE_TESTBED_BIN/kube-apiserver" --version
