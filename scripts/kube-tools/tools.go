//go:build tools

// Package tools pins the real control plane the test suite runs: etcd,
// kube-apiserver and kube-controller-manager, built from Go module source by
// scripts/test-cluster.sh. Nothing imports this package; the build tag keeps
// it out of every ordinary build.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
