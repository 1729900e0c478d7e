#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy, once per version.
# Output goes to a cache outside the repo, keyed by version:
#   $CONVEYOR_CACHE/k8s-<ver>/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}
#   $CONVEYOR_CACHE/etcd-<ver>/etcd   $CONVEYOR_CACHE/kwok-<ver>/{kwok,kwokctl}   $CONVEYOR_CACHE/helm-<ver>/helm
#   $CONVEYOR_CACHE/promtool-<ver>/promtool   (only the rule checker/tester of Prometheus)
#   $CONVEYOR_CACHE/gitops-health-<hash>/{lua-health,kstatus}   (keyed by a hash of hack/gitops-health)
# A second run with the same versions does nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
source "$here/lib.sh"

export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath" GOTOOLCHAIN=local

build_kubernetes() {
  local out="$CONVEYOR_CACHE/k8s-$KUBERNETES_VERSION"
  [ -x "$out/kubectl" ] && [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/kube-scheduler" ] && return 0
  log "building Kubernetes $KUBERNETES_VERSION (first time only; takes 15-30 minutes on 2 cores)"
  local work; work="$(mktemp -d)"; local staging_ver="v0.${KUBERNETES_VERSION#v1.}"
  # k8s.io/kubernetes replaces its staging modules with local paths; a consumer must pin each
  # one to the published v0.X.Y. Derive the list from the release's own go.mod.
  local gomod; gomod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  {
    echo "module conveyor.local/k8s-build"
    echo "go 1.26"
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="$staging_ver" '{print "replace " $1 " => " $1 " " v}'
  } > "$work/go.mod"
  local major="${KUBERNETES_VERSION#v}"; major="${major%%.*}"; local minor="${KUBERNETES_VERSION#v*.}"; minor="${minor%%.*}"
  local ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$work/bin"
  (cd "$work" && go build -mod=mod -ldflags "$ldflags" -o "$work/bin/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  install_dir "$work/bin" "$out"; rm -rf "$work"
}

build_etcd() {
  local out="$CONVEYOR_CACHE/etcd-$ETCD_VERSION"
  [ -x "$out/etcd" ] && return 0
  log "building etcd $ETCD_VERSION"
  local work; work="$(mktemp -d)"
  cat > "$work/go.mod" <<GOMOD
module conveyor.local/etcd-build
go 1.26
require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat > "$work/main.go" <<'GO'
// Wrapper: the etcd server's own main package lives in a module with replace directives.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  mkdir -p "$work/bin"
  (cd "$work" && go mod tidy >/dev/null && go build -ldflags "-s -w" -o "$work/bin/etcd" .)
  install_dir "$work/bin" "$out"; rm -rf "$work"
}

build_kwok() {
  local out="$CONVEYOR_CACHE/kwok-$KWOK_VERSION"
  [ -x "$out/kwok" ] && [ -x "$out/kwokctl" ] && return 0
  log "building kwok $KWOK_VERSION"
  local work; work="$(mktemp -d)"; mkdir -p "$work/bin"
  GOBIN="$work/bin" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
  install_dir "$work/bin" "$out"; rm -rf "$work"
}

build_helm() {
  local out="$CONVEYOR_CACHE/helm-$HELM_VERSION"
  # A helm built without the release ldflags reports version "v3.X" and assumes Kubernetes 1.20
  # (helm template/lint then refuse charts with kubeVersion >= 1.21): rebuild such a binary.
  [ -x "$out/helm" ] && [ "$("$out/helm" version --template '{{.Version}}' 2>/dev/null)" = "$HELM_VERSION" ] && return 0
  log "building helm $HELM_VERSION"
  local work; work="$(mktemp -d)"; mkdir -p "$work/bin"
  # The ldflags of helm's Makefile: its version, and the Kubernetes version its client-go
  # (v0.X.Y → 1.X) stands for, the default for `helm template` and `helm lint`.
  local gomod; gomod="$(cd "$work" && go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  local client_go; client_go="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod")"
  local k8s_minor="${client_go#v0.}"; k8s_minor="${k8s_minor%%.*}"
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
  done
  GOBIN="$work/bin" go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  install_dir "$work/bin" "$out"; rm -rf "$work"
}

# promtool alone (not the Prometheus server): the chart's alert rules are checked and unit-tested
# with `promtool test rules`. Prometheus publishes its Go module as v0.X.Y for release 3.X.Y.
build_promtool() {
  local out="$CONVEYOR_CACHE/promtool-$PROMETHEUS_VERSION"
  [ -x "$out/promtool" ] && return 0
  log "building promtool $PROMETHEUS_VERSION"
  local work; work="$(mktemp -d)"; mkdir -p "$work/bin"
  GOBIN="$work/bin" go install -ldflags "-s -w" "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
  install_dir "$work/bin" "$out"; rm -rf "$work"
}

# The GitOps health-check harness (hack/gitops-health: Argo CD's Lua VM and kstatus), keyed by a
# hash of its module files and sources, so editing it builds a new entry. The same key is computed
# by test/support/tools.ts (goToolDir): sha256 over go.mod, go.sum, then every *.go file in
# byte-sorted path order, first 16 hex digits.
gitops_health_key() {
  local src="$here/gitops-health"
  (cd "$src" && cat go.mod go.sum $(find . -name '*.go' -type f | sed 's|^\./||' | LC_ALL=C sort)) | sha256sum | cut -c1-16
}

build_gitops_health() {
  local out="$CONVEYOR_CACHE/gitops-health-$(gitops_health_key)"
  [ -x "$out/lua-health" ] && [ -x "$out/kstatus" ] && return 0
  log "building the GitOps health harness (lua-health, kstatus)"
  local work; work="$(mktemp -d)"; mkdir -p "$work/bin"
  # -mod=readonly: go.sum in the repo must be complete; the build never writes into the tree.
  (cd "$here/gitops-health" && go build -mod=readonly -ldflags "-s -w" -o "$work/bin/" ./cmd/lua-health ./cmd/kstatus)
  install_dir "$work/bin" "$out"; rm -rf "$work"
}

# Moves a finished build into place in one step, so an interrupted build never looks complete.
install_dir() { mkdir -p "$(dirname "$2")"; rm -rf "$2.tmp"; cp -r "$1" "$2.tmp"; rm -rf "$2"; mv "$2.tmp" "$2"; }

# Two lanes, because the machine this was written for has 2 cores: Kubernetes (the long build,
# ~80 % of the CPU time) in one, the small tools one after another in the other. Go already
# compiles a build's packages in parallel; the lanes overlap what it cannot: module downloads,
# linking, and the small builds' serial tails. A lane that fails stops the script with its status.
want="${*:-kubernetes etcd kwok helm promtool gitops_health}"
run_lane() { local w; for w in "$@"; do "build_$w"; done; }
big=(); small=()
for w in $want; do if [ "$w" = kubernetes ]; then big+=("$w"); else small+=("$w"); fi; done
started=$(date +%s)
lanes=()
if [ ${#big[@]} -gt 0 ]; then run_lane "${big[@]}" & lanes+=($!); fi
if [ ${#small[@]} -gt 0 ]; then run_lane "${small[@]}" & lanes+=($!); fi
failed=0
for pid in "${lanes[@]}"; do wait "$pid" || failed=$?; done
[ "$failed" -eq 0 ] || { log "a build failed (exit $failed); see the lines above"; exit "$failed"; }
log "binaries ready in $CONVEYOR_CACHE ($(( $(date +%s) - started ))s)"
