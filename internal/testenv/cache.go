package testenv

import (
	"fmt"
	"os"
	"path/filepath"
)

// CacheDirEnv overrides where binaries are built and clusters keep their state.
const CacheDirEnv = "MESHCTL_TESTENV_CACHE"

// DefaultCacheDir is $MESHCTL_TESTENV_CACHE, else $XDG_CACHE_HOME/meshctl-testenv (default
// ~/.cache/meshctl-testenv): outside the repository, so a fresh clone reuses earlier builds.
func DefaultCacheDir() (string, error) {
	if dir := os.Getenv(CacheDirEnv); dir != "" {
		return filepath.Abs(dir)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the cache directory: %w (set %s)", err, CacheDirEnv)
	}
	return filepath.Join(base, "meshctl-testenv"), nil
}

// Cache is the layout of the build cache:
//
//	<Dir>/v1.37.1/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy,kubectl,src/}
//	<Dir>/etcd-v3.6.16/{etcd,src/}
//	<Dir>/kwok-v0.8.0/{kwok,stages.yaml,crds/}
//	<Dir>/coredns-v1.15.0/{coredns,src/}
//	<Dir>/run/<name>/   state of one running cluster
type Cache struct {
	Dir string
}

// KubernetesDir holds the Kubernetes binaries of one version.
func (c Cache) KubernetesDir(version string) string { return filepath.Join(c.Dir, version) }

// EtcdDir holds the etcd binary.
func (c Cache) EtcdDir() string { return filepath.Join(c.Dir, "etcd-"+EtcdVersion) }

// KwokDir holds the kwok binary, its stage configuration and its CRDs.
func (c Cache) KwokDir() string { return filepath.Join(c.Dir, "kwok-"+KwokVersion) }

// CoreDNSDir holds the coredns binary.
func (c Cache) CoreDNSDir() string { return filepath.Join(c.Dir, "coredns-"+CoreDNSVersion) }

// RunDir holds one directory per running cluster.
func (c Cache) RunDir() string { return filepath.Join(c.Dir, "run") }

// Binary is the path of a component's program for a Kubernetes version.
func (c Cache) Binary(version string, comp Component) string {
	switch comp {
	case Etcd:
		return filepath.Join(c.EtcdDir(), string(comp))
	case Kwok:
		return filepath.Join(c.KwokDir(), string(comp))
	case CoreDNS:
		return filepath.Join(c.CoreDNSDir(), string(comp))
	case Containerd:
		return hostContainerd
	default:
		return filepath.Join(c.KubernetesDir(version), string(comp))
	}
}

// KwokStages is the stage configuration KWOK runs with (nodes and pods turn Ready at once).
func (c Cache) KwokStages() string { return filepath.Join(c.KwokDir(), "stages.yaml") }

// KwokCRDs is the folder of the KWOK CRDs loaded before KWOK starts.
func (c Cache) KwokCRDs() string { return filepath.Join(c.KwokDir(), "crds") }

// Missing lists what still has to be built for a version and set of components.
func (c Cache) Missing(version string, comps []Component) []Component {
	var out []Component
	for _, comp := range comps {
		if !fileExists(c.Binary(version, comp)) {
			out = append(out, comp)
			continue
		}
		if comp == Kwok && (!fileExists(c.KwokStages()) || !fileExists(c.KwokCRDs())) {
			out = append(out, comp)
		}
	}
	return out
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
