package precheck

import (
	"context"
	"fmt"

	"github.com/meshctl/meshctl/installer"
)

func checkVersion(ctx context.Context, in *Input) (Status, string) {
	v, err := in.Clients.ServerVersion(ctx)
	if err != nil {
		return couldNot("read the server version", err)
	}
	return versionStatus(v.GitVersion)
}

// versionStatus: below the range is an error, above the newest tested release a warning.
func versionStatus(gitVersion string) (Status, string) {
	support, msg, err := installer.KubernetesSupport(gitVersion)
	if err != nil {
		return Error, fmt.Sprintf("cannot read the server version %q: %v", gitVersion, err)
	}
	switch support {
	case installer.TooOld:
		return Error, msg
	case installer.Untested:
		return Warning, msg
	}
	return OK, msg
}
