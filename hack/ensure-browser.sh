#!/usr/bin/env bash
# The Console's browser tests drive a system Chromium through playwright-core, which downloads no
# browser. `npm test` runs this first: it installs Debian's chromium where it can (root or
# password-less sudo, with apt-get), and otherwise stops at once with one line saying what to do,
# instead of letting the browser tests fail half an hour later.
set -euo pipefail
browser="${CONVEYOR_CHROMIUM:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0

hint="npm test needs Chromium for the Console's browser tests: install Debian's package (apt-get install chromium) or set CONVEYOR_CHROMIUM to a Chromium binary"
if [ -n "${CONVEYOR_CHROMIUM:-}" ]; then
  echo "CONVEYOR_CHROMIUM=$CONVEYOR_CHROMIUM is not an executable file. $hint" >&2
  exit 1
fi
sudo=''
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo='sudo -n'; else echo "$hint" >&2; exit 1; fi
fi
command -v apt-get >/dev/null || { echo "$hint" >&2; exit 1; }
echo "[test] installing Debian's chromium for the Console's browser tests (once, ~2 min)"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x /usr/bin/chromium ] || { echo "chromium did not install at /usr/bin/chromium. $hint" >&2; exit 1; }
