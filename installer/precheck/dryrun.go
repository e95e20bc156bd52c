package precheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/meshctl/meshctl/installer"
)

func checkDryRun(ctx context.Context, in *Input) (Status, string) {
	rep, err := in.Clients.DryRunManifest(ctx, in.Manifest, "default")
	if err != nil {
		return couldNot("dry-run the manifest", err)
	}
	return dryRunStatus(rep)
}

func dryRunStatus(rep *installer.DryRunReport) (Status, string) {
	if len(rep.Rejected) > 0 {
		return Error, fmt.Sprintf("the API server rejects %d of %d objects: %s: %s", len(rep.Rejected), rep.Checked, rep.Rejected[0].Object, rep.Rejected[0].Reason)
	}
	msg := fmt.Sprintf("the API server accepts all %d objects (server-side dry run)", rep.Checked)
	if len(rep.Elsewhere) > 0 {
		msg += fmt.Sprintf("; objects of namespace %s, which install creates, were tried in namespace %s", strings.Join(rep.Elsewhere, ", "), rep.Fallback)
	}
	if len(rep.Unchecked) > 0 {
		msg += fmt.Sprintf("; %d objects of kinds the install itself adds were not tried", len(rep.Unchecked))
	}
	return OK, msg
}
