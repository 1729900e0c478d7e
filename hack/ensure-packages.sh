#!/usr/bin/env bash
# The Debian packages `npm run image` and its e2e test need: podman to load and start the image
# (with runc, hack/containers.conf), uidmap and fuse-overlayfs for podman without root, and
# dpkg (dpkg-deb unpacks the image's base packages). `.ci/run` and `npm test` run this: it does
# nothing when every package is there, installs the missing ones with apt-get where it can (root
# or password-less sudo), and otherwise stops at once with one line saying what to install.
set -euo pipefail
packages=(podman runc uidmap fuse-overlayfs dpkg tar gzip)

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
else
  # Not Debian: name the commands instead of the packages.
  for c in podman runc tar gzip dpkg-deb; do command -v "$c" >/dev/null || missing+=("$c"); done
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "npm test needs ${missing[*]} for the image test (npm run image); install them with your package manager" >&2
  exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0

hint="npm test needs Debian's ${missing[*]} for the image test (npm run image): apt-get install ${missing[*]}"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
apt_install "$hint" "[test] installing ${missing[*]} for the image test (once)" "${missing[@]}"
for p in "${missing[@]}"; do installed "$p" || { echo "$p did not install. $hint" >&2; exit 1; }; done
