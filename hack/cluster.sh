#!/usr/bin/env bash
# The local control plane for development and tests: real etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler, with KWOK playing the kubelets of two fake nodes.
#   hack/cluster.sh up      build binaries once (cached), start the cluster; harmless when running
#   hack/cluster.sh down    stop and delete the cluster
#   hack/cluster.sh restart-apiserver [S]  stop the API server for S seconds (default 3), start it again
#   hack/cluster.sh env     print the export KUBECONFIG=... line
#   hack/cluster.sh status  exit 0 when the cluster answers
#   hack/cluster.sh logs    print the paths of each component's log
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/versions.env"
source "$here/lib.sh"

CLUSTER_NAME="${CONVEYOR_CLUSTER_NAME:-conveyor}"
KWOK_WORKDIR="${KWOK_WORKDIR:-$HOME/.kwok}"
export KWOK_WORKDIR
cluster_dir="$KWOK_WORKDIR/clusters/$CLUSTER_NAME"
kubeconfig="$cluster_dir/kubeconfig.yaml"
# Every pod's container logs (hack/kwok-logs.yaml); tests append CRI-format lines to it.
pod_logs="$cluster_dir/pod-logs.log"
k8s_bin="$CONVEYOR_CACHE/k8s-$KUBERNETES_VERSION"
etcd_bin="$CONVEYOR_CACHE/etcd-$ETCD_VERSION"
kwok_bin="$CONVEYOR_CACHE/kwok-$KWOK_VERSION"
# kubectl must come first on PATH, or kwokctl tries to download one.
export PATH="$k8s_bin:$kwok_bin:$PATH"

kubectl_() { "$k8s_bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }

is_up() { [ -f "$kubeconfig" ] && kubectl_ get --raw /readyz >/dev/null 2>&1; }

write_config() {
  local conf="$KWOK_WORKDIR/$CLUSTER_NAME.kwokctl.yaml"
  mkdir -p "$KWOK_WORKDIR/clusters"
  cat > "$conf" <<YAML
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeVersion: $KUBERNETES_VERSION
  etcdVersion: ${ETCD_VERSION#v}
  kwokVersion: $KWOK_VERSION
  kubeAuthorization: true
  # The controller-manager's default client QPS (20) makes it, not Conveyor, the bottleneck
  # when hundreds of Jobs start at once (tests, benchmarks).
  disableQPSLimits: true
  kubeApiserverBinary: $k8s_bin/kube-apiserver
  kubeControllerManagerBinary: $k8s_bin/kube-controller-manager
  kubeSchedulerBinary: $k8s_bin/kube-scheduler
  kubectlBinary: $k8s_bin/kubectl
  etcdBinary: $etcd_bin/etcd
  kwokControllerBinary: $kwok_bin/kwok
---
YAML
  cat "$here/kwok-stages.yaml" >> "$conf"
  sed "s|@POD_LOGS_FILE@|$pod_logs|" "$here/kwok-logs.yaml" >> "$conf"
  echo "$conf"
}

print_logs() {
  log "component logs:"
  ls -1 "$cluster_dir"/logs/*.log 2>/dev/null | sed 's/^/  /' >&2 || log "  (none yet under $cluster_dir/logs)"
}

up() {
  "$here/build-cluster-bins.sh" kubernetes etcd kwok
  if is_up; then log "cluster '$CLUSTER_NAME' is already running"; return 0; fi
  if [ -d "$cluster_dir" ]; then
    # Left over from a stopped machine or an interrupted start: start again from scratch.
    log "cluster '$CLUSTER_NAME' exists but does not answer; recreating it"
    kwokctl delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || rm -rf "$cluster_dir"
  fi
  local conf; conf="$(write_config)"
  log "starting cluster '$CLUSTER_NAME' (Kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
  if ! kwokctl create cluster --name "$CLUSTER_NAME" --config "$conf" --kubeconfig "" --wait 120s >&2; then
    log "cluster failed to start"; print_logs; return 1
  fi
  : >> "$pod_logs"
  kwokctl scale node --name "$CLUSTER_NAME" --replicas 2 >&2
  for _ in $(seq 1 60); do
    [ "$(kubectl_ get nodes --no-headers 2>/dev/null | grep -cw Ready)" = 2 ] && break
    sleep 1
  done
  # The default namespace's ServiceAccount appears asynchronously; wait so Jobs can use it.
  for _ in $(seq 1 60); do kubectl_ get serviceaccount default >/dev/null 2>&1 && break; sleep 1; done
  kubectl_ get nodes >&2
  print_logs
  log "ready. Use it with: export KUBECONFIG=$kubeconfig"
}

# Stops kube-apiserver for a while and starts it again with the same command line, environment
# and pid file (etcd and the other components keep running): for resilience tests.
restart_apiserver() {
  local pidf="$cluster_dir/pids/kube-apiserver.pid" pid cwd
  pid="$(cat "$pidf")"
  cwd="$(readlink "/proc/$pid/cwd")"
  local -a cmd env
  mapfile -d '' cmd < "/proc/$pid/cmdline"
  mapfile -d '' env < "/proc/$pid/environ"
  # SIGKILL: a crash. (SIGTERM starts a graceful shutdown that waits on open watches.)
  kill -9 "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  sleep "${1:-3}"
  (cd "$cwd" && exec env -i "${env[@]}" nohup "${cmd[@]}" >> "$cluster_dir/logs/kube-apiserver.log" 2>&1) &
  printf "%s" "$!" > "$pidf"   # no newline: kwokctl parses it with Atoi
  for _ in $(seq 1 120); do is_up && return 0; sleep 0.5; done
  log "kube-apiserver did not come back"; print_logs; return 1
}

down() {
  if [ -d "$cluster_dir" ]; then kwokctl delete cluster --name "$CLUSTER_NAME" >&2; else log "no cluster '$CLUSTER_NAME'"; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  restart-apiserver) restart_apiserver "${2:-3}" ;;
  env) echo "export KUBECONFIG=$kubeconfig" ;;
  kubeconfig) echo "$kubeconfig" ;;
  kubectl) echo "$k8s_bin/kubectl" ;;
  status) if is_up; then log "cluster '$CLUSTER_NAME' is running"; else log "cluster '$CLUSTER_NAME' is not running"; exit 1; fi ;;
  logs) print_logs ;;
  *) echo "usage: $0 up|down|restart-apiserver [SECONDS]|env|kubeconfig|kubectl|status|logs" >&2; exit 2 ;;
esac
