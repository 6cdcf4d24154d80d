#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy, once, into a cache outside
# the checkout. k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces the staging modules
# with local paths), so we build it from a wrapper module that replaces each staging module with
# its published tag. etcd's server module likewise uses relative replaces; a wrapper needs none.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$HERE/versions.env"
CACHE=${CHRONOS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/chronos-operator}
BIN="$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION/bin"
WORK="$CACHE/build"
mkdir -p "$BIN" "$WORK"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false

say() { printf '[build] %s\n' "$*" >&2; }
timed() { # timed NAME CMD...: runs CMD, printing how long NAME took
  local name=$1 t0; shift; t0=$(date +%s)
  say "building $name ..."
  "$@"
  say "built $name in $(( $(date +%s) - t0 ))s"
}

build_kubernetes() {
  local w="$WORK/k8s-$K8S_VERSION" minor staging gomod cmds ldf
  minor=$(echo "$K8S_VERSION" | cut -d. -f2); staging="v0.${K8S_VERSION#1.}"
  mkdir -p "$w"; cd "$w"
  if [ ! -f go.mod ]; then
    go mod init local/k8s-bins >/dev/null 2>&1
    gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')
    go mod edit -go="$(go mod edit -json "$gomod" | python3 -c 'import json,sys;print(json.load(sys.stdin)["Go"])')"
    for m in $(go mod edit -json "$gomod" | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(" ".join(r["Old"]["Path"] for r in d.get("Replace") or [] if r["New"]["Path"].startswith("./staging/")))'); do
      go mod edit -replace="$m=$m@$staging"
    done
  fi
  cmds="k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl"
  # shellcheck disable=SC2046
  go get $(for c in $cmds; do echo "$c@v$K8S_VERSION"; done) >/dev/null 2>&1 || go get $(for c in $cmds; do echo "$c@v$K8S_VERSION"; done)
  ldf="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1"
  ldf="$ldf -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  ldf="$ldf -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  ldf="$ldf -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  # shellcheck disable=SC2086
  go build -trimpath -ldflags "$ldf" -o "$BIN/" $cmds
}

build_etcd() {
  local w="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$w"; cd "$w"
  [ -f go.mod ] || go mod init local/etcd-bin >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null 2>&1 || go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
}

build_helm() {
  # Same wrapper-module approach as etcd: `go install` of helm's cmd works too, but a module pins
  # the whole build list so a rebuild is reproducible.
  local w="$WORK/helm-$HELM_VERSION" major=${HELM_VERSION%%.*}
  mkdir -p "$w"; cd "$w"
  [ -f go.mod ] || go mod init local/helm-bin >/dev/null 2>&1
  go get "helm.sh/helm/v$major/cmd/helm@v$HELM_VERSION" >/dev/null 2>&1 || go get "helm.sh/helm/v$major/cmd/helm@v$HELM_VERSION"
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v$major/internal/version.version=v$HELM_VERSION" \
    -o "$BIN/helm" "helm.sh/helm/v$major/cmd/helm"
}

helm_current() { # true when $BIN/helm exists and reports the pinned version
  [ -x "$BIN/helm" ] && [ "$("$BIN/helm" version --template '{{.Version}}' 2>/dev/null)" = "v$HELM_VERSION" ]
}

t_all=$(date +%s)
[ -x "$BIN/etcd" ] || timed "etcd v$ETCD_VERSION" build_etcd
[ -x "$BIN/kwok" ] || timed "kwok v$KWOK_VERSION" build_kwok
helm_current || timed "helm v$HELM_VERSION" build_helm
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  if [ ! -x "$BIN/$b" ]; then timed "kubernetes v$K8S_VERSION (apiserver, controller-manager, scheduler, kubectl)" build_kubernetes; break; fi
done
say "binaries ready in $BIN ($(( $(date +%s) - t_all ))s)"
echo "$BIN"
