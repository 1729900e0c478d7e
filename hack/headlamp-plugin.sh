#!/usr/bin/env bash
# Runs npm scripts of the Headlamp plugin (plugins/headlamp, its own npm package) in order: tsc,
# test, build, package. Its dependencies are installed apart from the root's (`.ci/run` does it); without
# them this says how to install them rather than letting headlamp-plugin run `npm install` itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 1 ] || { echo "usage: bash hack/headlamp-plugin.sh tsc|test|build|package ..." >&2; exit 2; }
if [ ! -d plugins/headlamp/node_modules/@kinvolk/headlamp-plugin ]; then
  echo "plugins/headlamp/node_modules is missing: run npm ci --prefix plugins/headlamp --no-audit --no-fund" >&2
  exit 1
fi
for script in "$@"; do npm --prefix plugins/headlamp run "$script"; done
