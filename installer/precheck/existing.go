package precheck

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/meshapi"
)

// foreignIstiod is an istiod Deployment some other tool installed.
type foreignIstiod struct {
	Name, Namespace, Image string
}

func checkExisting(ctx context.Context, in *Input) (Status, string) {
	planes, err := in.Clients.ControlPlanes(ctx, in.namespace())
	if err != nil {
		return couldNot("list installed control planes", err)
	}
	deps, err := in.Clients.Kube.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: "app=" + meshapi.ControlPlane})
	if err != nil {
		return couldNot("look for istiod deployments", err)
	}
	return existingStatus(planes, foreignIstiods(deps.Items), in.revision())
}

func foreignIstiods(deps []appsv1.Deployment) []foreignIstiod {
	var out []foreignIstiod
	for _, d := range deps {
		if installer.IsMeshctlOwned(d.Labels) {
			continue
		}
		img := ""
		if cs := d.Spec.Template.Spec.Containers; len(cs) > 0 {
			img = cs[0].Image
		}
		out = append(out, foreignIstiod{Name: d.Name, Namespace: d.Namespace, Image: img})
	}
	return out
}

func existingStatus(planes []installer.ControlPlane, foreign []foreignIstiod, revision string) (Status, string) {
	if len(foreign) > 0 {
		var parts []string
		for _, f := range foreign {
			parts = append(parts, fmt.Sprintf("Deployment %s/%s (image %s)", f.Namespace, f.Name, f.Image))
		}
		return Error, "an Istio control plane installed by another tool is running: " + strings.Join(parts, ", ") +
			"; uninstall it first (istioctl uninstall --purge)"
	}
	if len(planes) == 0 {
		return OK, "no control plane installed yet"
	}
	var parts []string
	upgrade := false
	for _, p := range planes {
		parts = append(parts, fmt.Sprintf("%s (revision %s, profile %s)", p.Version, p.Revision, p.Profile))
		upgrade = upgrade || p.Revision == revision
	}
	verb := "installs next to it"
	if upgrade {
		verb = "upgrades revision " + revision + " in place"
	}
	return OK, "meshctl control plane " + strings.Join(parts, ", ") + " installed; install " + verb
}
