// Package testenv builds and runs a real, local Kubernetes control plane for tests and for
// `make cluster-up`: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK
// (fake nodes whose pods turn Running/Ready and which can fake port-forward, logs and exec).
//
// Everything is compiled from the Go module proxy into a cache outside the repository
// ($XDG_CACHE_HOME/meshctl-testenv, default ~/.cache/meshctl-testenv), once per version, and
// listens on 127.0.0.1 only. A fake clientset cannot show server-side apply, admission,
// CRD validation or RBAC; this can.
//
// Tests use it through TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		env := testenv.Get(t)
//		ns := env.Namespace(t)
//		_, err := env.Client().CoreV1().ConfigMaps(ns).Create(...)
//	}
//
// Programs use Build, Up and Down (see cmd/meshctl-testenv). docs/testenv.md explains the
// layout, the environment variables and where the logs are.
package testenv
