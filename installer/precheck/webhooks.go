package precheck

import (
	"context"
	"strings"

	"github.com/meshctl/meshctl/installer"
)

func checkWebhooks(ctx context.Context, in *Input) (Status, string) {
	conflicts, err := in.Clients.InjectorConflicts(ctx)
	if err != nil {
		return couldNot("list mutating webhooks", err)
	}
	return webhookStatus(conflicts)
}

func webhookStatus(conflicts []installer.WebhookConflict) (Status, string) {
	if len(conflicts) == 0 {
		return OK, "no other tool's webhook injects sidecars into pods"
	}
	var parts []string
	for _, c := range conflicts {
		parts = append(parts, c.String())
	}
	return Error, "another sidecar injector would inject pods too: " + strings.Join(parts, "; ") + "; remove it before installing"
}
