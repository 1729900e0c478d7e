# Shared by the hack/ scripts: where the cache lives and how to log.
CONVEYOR_CACHE="${CONVEYOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/conveyor}"
export CONVEYOR_CACHE
log() { echo "[conveyor] $*" >&2; }
