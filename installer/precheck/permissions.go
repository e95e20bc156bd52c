package precheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/meshctl/meshctl/installer"
)

func checkPermissions(ctx context.Context, in *Input) (Status, string) {
	need, err := in.Clients.InstallPermissions(in.Manifest, in.namespace())
	if err != nil {
		return couldNot("list the permissions install needs", err)
	}
	denied, err := in.Clients.CheckPermissions(ctx, need)
	if err != nil {
		return couldNot("review permissions", err)
	}
	return permissionsStatus(len(need), denied)
}

func permissionsStatus(total int, denied []installer.Permission) (Status, string) {
	if len(denied) == 0 {
		return OK, fmt.Sprintf("the current user has all %d permissions install needs", total)
	}
	shown := make([]string, 0, 3)
	for i, p := range denied {
		if i == 3 {
			break
		}
		shown = append(shown, p.String())
	}
	more := ""
	if len(denied) > 3 {
		more = fmt.Sprintf(" and %d more", len(denied)-3)
	}
	return Error, fmt.Sprintf("missing %d of %d permissions install needs: %s%s", len(denied), total, strings.Join(shown, "; "), more)
}
