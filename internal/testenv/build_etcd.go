package testenv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

const etcdModule = "go.etcd.io/etcd/server/v3"

// etcd builds etcd from its server module. `go install` refuses it (its go.mod has replace
// directives), so it is built from a throwaway module that requires it; the sibling modules
// are published at the same version and need no replace.
func (b *builder) etcd(ctx context.Context) error {
	dir := b.cache.EtcdDir()
	what := "etcd " + EtcdVersion
	return b.ensure(ctx, dir, []string{string(Etcd)}, what, func(tmp string) error {
		src, err := srcDir(dir)
		if err != nil {
			return err
		}
		gomod := filepath.Join(src, "go.mod")
		if !fileExists(filepath.Join(src, "go.sum")) {
			if err := os.WriteFile(gomod, []byte("module meshctl-testenv-etcd\n\ngo 1.24\n"), 0o644); err != nil {
				return err
			}
			b.p.stepf("%s: resolving modules", what)
			if _, err := b.goTool.run(ctx, src, nil, "get", etcdModule+"@"+EtcdVersion); err != nil {
				return err
			}
		}
		b.p.stepf("%s: compiling", what)
		bin := filepath.Join(tmp, string(Etcd))
		if _, err := b.goTool.run(ctx, src, nil, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, etcdModule); err != nil {
			return err
		}
		return b.checkVersion(ctx, bin, "etcd Version: "+strings.TrimPrefix(EtcdVersion, "v"), "--version")
	})
}
