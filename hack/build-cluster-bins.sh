#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy, once per version.
# Output goes to a cache outside the repo, keyed by version:
#   $CONVEYOR_CACHE/k8s-<ver>/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}
#   $CONVEYOR_CACHE/etcd-<ver>/etcd   $CONVEYOR_CACHE/kwok-<ver>/{kwok,kwokctl}   $CONVEYOR_CACHE/helm-<ver>/helm
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
  [ -x "$out/helm" ] && return 0
  log "building helm $HELM_VERSION"
  local work; work="$(mktemp -d)"; mkdir -p "$work/bin"
  GOBIN="$work/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  install_dir "$work/bin" "$out"; rm -rf "$work"
}

# Moves a finished build into place in one step, so an interrupted build never looks complete.
install_dir() { mkdir -p "$(dirname "$2")"; rm -rf "$2.tmp"; cp -r "$1" "$2.tmp"; rm -rf "$2"; mv "$2.tmp" "$2"; }

want="${*:-kubernetes etcd kwok helm}"
for w in $want; do "build_$w"; done
log "binaries ready in $CONVEYOR_CACHE"
