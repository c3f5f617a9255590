#!/usr/bin/env bash
# `make plugin-archives`: cross-builds kubectl-amber for every platform krew installs it on,
# packs one archive per platform into DIST (dist/ by default, never committed), and writes
# the krew manifest (plugins/amber.yaml by default) naming each archive's release URI and
# sha256 for VERSION.
#
#   VERSION=v0.2.0 hack/plugin-archives.sh
#   VERSION=v0.2.0 DIST=/tmp/d MANIFEST=/tmp/d/amber.yaml PLATFORMS="linux/amd64" hack/plugin-archives.sh
#
# The archives are reproducible: binaries built with -trimpath and without a build ID, tar
# entries sorted, owned by 0:0 and dated at the Unix epoch, gzip without name or time. So
# the same commit, Go and VERSION give the same sha256 on every machine, and a manifest can
# be checked against archives built elsewhere.
#
# Each archive holds kubectl-amber (the plugin, krew's bin), kubectl_complete-amber (the
# executable kubectl >= 1.26 runs to complete 'kubectl amber ...': a script that asks the
# plugin, which answers as cobra's __complete) and LICENSE when the repository has one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

: "${VERSION:?VERSION is required: the release tag the archives are published under, such as v0.2.0}"
if ! [[ $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "VERSION=$VERSION: want a semantic version tag such as v0.2.0 (krew's spec.version)" >&2
  exit 2
fi
DIST=${DIST:-$root/dist}
MANIFEST=${MANIFEST:-$root/plugins/amber.yaml}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
# Where releases are downloaded from; the archive's name is appended.
RELEASE_URL=${RELEASE_URL:-https://github.com/amber-gdpr/amber/releases/download/$VERSION}

mkdir -p "$DIST" "$(dirname "$MANIFEST")"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT

platforms_yaml=""
for platform in $PLATFORMS; do
  os=${platform%/*}
  arch=${platform#*/}
  case "$os/$arch" in
    linux/amd64 | linux/arm64 | darwin/amd64 | darwin/arm64 | windows/amd64 | windows/arm64) ;;
    *) echo "PLATFORMS: $platform: want linux, darwin or windows / amd64 or arm64" >&2; exit 2 ;;
  esac
  ext=""
  [ "$os" = windows ] && ext=.exe
  dir="$staging/$os-$arch"
  mkdir -p "$dir"
  echo "[plugin-archives] building kubectl-amber $VERSION for $os/$arch" >&2
  (cd "$root" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false \
    -ldflags "-s -w -buildid=" -o "$dir/kubectl-amber$ext" ./cmd/kubectl-amber)
  if [ "$os" = windows ]; then
    cp "$root/plugins/kubectl_complete-amber.cmd" "$dir/"
  else
    cp "$root/plugins/kubectl_complete-amber" "$dir/"
    chmod 0755 "$dir/kubectl_complete-amber"
  fi
  license=""
  if [ -f "$root/LICENSE" ]; then
    cp "$root/LICENSE" "$dir/"
    license="    - from: LICENSE
      to: .
"
  fi
  archive="kubectl-amber_${VERSION}_${os}_${arch}.tar.gz"
  (cd "$dir" && find . -type f | LC_ALL=C sort |
    tar --create --no-recursion --files-from=- --owner=0 --group=0 --numeric-owner --mtime=@0 --format=gnu |
    gzip -n -9 >"$DIST/$archive")
  sha=$(sha256sum "$DIST/$archive" | cut -d' ' -f1)
  platforms_yaml+="  - selector:
      matchLabels:
        os: $os
        arch: $arch
    uri: $RELEASE_URL/$archive
    sha256: $sha
    bin: kubectl-amber$ext
    files:
    - from: kubectl-amber$ext
      to: .
    - from: kubectl_complete-amber*
      to: .
$license"
done

cat >"$MANIFEST" <<EOF
# krew plugin manifest (https://krew.sigs.k8s.io/docs/developer-guide/plugin-manifest/),
# written by 'make plugin-archives VERSION=$VERSION' (hack/plugin-archives.sh): do not edit
# the uri or sha256 by hand. Install from a release: kubectl krew install --manifest=amber.yaml
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: amber
spec:
  version: $VERSION
  homepage: https://github.com/amber-gdpr/amber
  shortDescription: Verify Amber's GDPR audit ledgers, roll back, quarantine, break glass
  description: |
    The kubectl plugin of Amber, a Kubernetes operator for workloads that process personal
    data. It verifies the hash chains and signed checkpoints of Amber's audit ledgers
    (online, or offline from saved entries), prints the record of processing activities
    (GDPR Art. 30) beside what the cluster proves, lists and rolls back a GDPRWorkload's
    revisions with the image digests recorded when they were pinned, quarantines a suspect
    pod, opens a short recorded break-glass window, and drafts an incident timeline for a
    breach notification (GDPR Art. 33). It takes kubectl's flags (--context, -n, --as, ...).
  caveats: |
    Amber's manager and CRDs must be installed in the cluster for the online commands.
    Shell completion of 'kubectl amber' (kubectl >= 1.26) needs kubectl_complete-amber on
    the PATH; krew links only the plugin, so link it once:
      ln -s "\$(dirname "\$(readlink -f "\$(command -v kubectl-amber)")")/kubectl_complete-amber" \\
        "\${KREW_ROOT:-\$HOME/.krew}/bin/kubectl_complete-amber"
  platforms:
$platforms_yaml
EOF
echo "[plugin-archives] wrote $MANIFEST for $VERSION: $(echo "$PLATFORMS" | wc -w) archives in $DIST" >&2
