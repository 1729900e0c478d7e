#!/usr/bin/env bash
# Packs dist/main.js + package.json as Headlamp installs a plugin: one folder
# (conveyor-headlamp/) in conveyor-headlamp-<version>.tar.gz, the layout `headlamp-plugin
# package` writes, but byte-for-byte reproducible (sorted names, mtime 0, owner 0, gzip -n) so
# a release's SHA256SUMS stays the same from one build to the next. Prints the tarball's path.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f dist/main.js ] || { echo "dist/main.js is missing: run npm run build first" >&2; exit 1; }
name=conveyor-headlamp
version=$(node -p "require('./package.json').version")
out="$name-$version.tar.gz"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp dist/main.js package.json "$stage/$name/"
rm -f "$name"-*.tar.gz
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX -C "$stage" -cf - "$name" | gzip -n -9 >"$out"
echo "$(pwd)/$out"
