# Shared by the hack/ scripts: where the cache lives and how to log.
CONVEYOR_CACHE="${CONVEYOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/conveyor}"
export CONVEYOR_CACHE
log() { echo "[conveyor] $*" >&2; }

# apt_install HINT NOTE PACKAGE...: installs Debian packages with apt-get where this user can (root
# or password-less sudo), printing NOTE first; otherwise prints HINT and exits 1. What npm test
# needs from Debian (ensure-browser.sh, ensure-packages.sh) is installed this one way.
apt_install() {
  local hint="$1" note="$2" sudo=''
  shift 2
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo='sudo -n'; else echo "$hint" >&2; exit 1; fi
  fi
  command -v apt-get >/dev/null || { echo "$hint" >&2; exit 1; }
  echo "$note"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
