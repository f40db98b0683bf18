#!/usr/bin/env bash
# Prints the paths of a kube-apiserver and an etcd (one per line) for the operator tests, the way
# controller-runtime's envtest runs them: a real API server on a real etcd, no kubelet. Uses
# $KUBE_APISERVER / $ETCD when set, else builds both once from the Go module proxy into the cache
# outside the clone (scripts/test-env/go-build-tool.sh; several minutes each on 2 cores, once).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
KUBE_VERSION="${ANYCHAT_KUBE_VERSION:-v1.36.3}"
ETCD_VERSION="${ANYCHAT_ETCD_VERSION:-v3.6.8}"
staging="v0.${KUBE_VERSION#v1.}"
apiserver="${KUBE_APISERVER:-$("$here/go-build-tool.sh" kube-apiserver k8s.io/kubernetes "$KUBE_VERSION" k8s.io/kubernetes/cmd/kube-apiserver "$staging")}"
etcd="${ETCD:-$("$here/go-build-tool.sh" etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 "$ETCD_VERSION")}"
echo "$apiserver"
echo "$etcd"
