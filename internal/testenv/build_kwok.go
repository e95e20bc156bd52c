package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

const kwokModule = "sigs.k8s.io/kwok"

// kwokStageFiles are the stages kwokctl uses by default, from the module's kustomize/stage/:
// nodes become Ready and keep a lease; pods become Ready at once, complete, and go away when
// deleted. A bare kwok without them exits with "no stages found".
var kwokStageFiles = []string{
	"kustomize/stage/node/fast/node-initialize.yaml",
	"kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
	"kustomize/stage/pod/fast/pod-ready.yaml",
	"kustomize/stage/pod/fast/pod-complete.yaml",
	"kustomize/stage/pod/fast/pod-delete.yaml",
}

// kwokCRDs are the CRDs of the fake kubelet features tests use, from kustomize/crd/bases/;
// kwokCRDKinds are the same as KWOK's --enable-crds names.
var (
	kwokCRDs = []string{
		"kwok.x-k8s.io_portforwards.yaml", "kwok.x-k8s.io_clusterportforwards.yaml",
		"kwok.x-k8s.io_logs.yaml", "kwok.x-k8s.io_clusterlogs.yaml",
		"kwok.x-k8s.io_execs.yaml", "kwok.x-k8s.io_clusterexecs.yaml",
	}
	kwokCRDKinds = []string{"PortForward", "ClusterPortForward", "Logs", "ClusterLogs", "Exec", "ClusterExec"}
)

// kwok builds kwok with `go install` (it has no replace directives) and copies its stages and
// CRDs out of the downloaded module, so nothing but the module proxy is contacted.
func (b *builder) kwok(ctx context.Context) error {
	dir := b.cache.KwokDir()
	what := "kwok " + KwokVersion
	return b.ensure(ctx, dir, []string{string(Kwok), "stages.yaml", "crds"}, what, func(tmp string) error {
		b.p.stepf("%s: downloading module", what)
		mod, err := b.goTool.download(ctx, dir, kwokModule, KwokVersion)
		if err != nil {
			return err
		}
		if err := writeKwokAssets(mod.Dir, tmp); err != nil {
			return err
		}
		b.p.stepf("%s: compiling", what)
		_, err = b.goTool.run(ctx, dir, []string{"GOBIN=" + tmp},
			"install", "-trimpath", "-ldflags", "-s -w", kwokModule+"/cmd/kwok@"+KwokVersion)
		if err != nil {
			return err
		}
		return b.checkVersion(ctx, filepath.Join(tmp, string(Kwok)), KwokVersion[1:], "--version")
	})
}

// writeKwokAssets writes stages.yaml and crds/ into out from the module source in modDir.
func writeKwokAssets(modDir, out string) error {
	var stages bytes.Buffer
	for _, name := range kwokStageFiles {
		data, err := os.ReadFile(filepath.Join(modDir, name))
		if err != nil {
			return fmt.Errorf("kwok stage: %w", err)
		}
		stages.WriteString("---\n")
		stages.Write(data)
	}
	if err := os.WriteFile(filepath.Join(out, "stages.yaml"), stages.Bytes(), 0o644); err != nil {
		return err
	}
	crds := filepath.Join(out, "crds")
	if err := os.MkdirAll(crds, 0o755); err != nil {
		return err
	}
	for _, name := range kwokCRDs {
		data, err := os.ReadFile(filepath.Join(modDir, "kustomize/crd/bases", name))
		if err != nil {
			return fmt.Errorf("kwok CRD: %w", err)
		}
		if err := os.WriteFile(filepath.Join(crds, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
