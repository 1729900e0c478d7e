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
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
apt_install "$hint" "[test] installing Debian's chromium for the Console's browser tests (once, ~2 min)" chromium
[ -x /usr/bin/chromium ] || { echo "chromium did not install at /usr/bin/chromium. $hint" >&2; exit 1; }
