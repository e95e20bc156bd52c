package installer_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/testenv"
)

// TestNotReadyNamesPodAndReason: istiod's pods cannot be scheduled (a nodeSelector no node has); install
// gives up at the readiness timeout, names the pod and Unschedulable, records ERROR and fails.
func TestNotReadyNamesPodAndReason(t *testing.T) {
	env := testenv.Get(t)
	c := clients(t, env)
	cleanupPurge(t, c)
	// The CRDs first, with the usual timeout: on a loaded machine they can take longer than 3s to be
	// established, and the 3s below are for istiod.
	mustInstall(t, c, "profile=minimal", "components.pilot.enabled=false")
	run := install(t, c, func(o *installer.InstallOptions) { o.ReadinessTimeout = 3 * time.Second },
		"profile=minimal", "components.pilot.k8s.nodeSelector.disktype=nowhere")
	var nre *installer.NotReadyError
	if !errors.As(run.err, &nre) {
		t.Fatalf("install: %v, want a NotReadyError", run.err)
	}
	msg := run.err.Error()
	for _, want := range []string{"Deployment/istio-system/istiod", "0 of 1 replicas available", "pod istiod-", "Pending, Unschedulable", "node(s) didn't match"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if log := run.rec.String(); !strings.Contains(log, "✘ Istiod: not ready after 3s") || !strings.Contains(log, "✔ Mesh core installed") {
		t.Errorf("progress:\n%s", log)
	}
	var failed *installer.Event
	for i, e := range run.rec.events {
		if e.Type == installer.EventComponentFailed {
			failed = &run.rec.events[i]
		}
	}
	if failed == nil || failed.Component != "Istiod" || len(failed.NotReady) == 0 {
		t.Fatalf("component-failed event: %+v", failed)
	}
	// The webhooks wait for istiod's endpoints, so they are not ready either; the Deployment says why.
	nr := failed.NotReady[0]
	if nr.Object != "Deployment/istio-system/istiod" || len(nr.Pods) != 1 || nr.Pods[0].Reason != "Unschedulable" || nr.Pods[0].Phase != "Pending" {
		t.Errorf("component-failed event's first object: %+v", nr)
	}
	state, err := env.Dynamic().Resource(iopGVR).Namespace("istio-system").Get(t.Context(), "installed-state", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st := state.Object["status"].(map[string]any)["status"]; st != installer.StatusError {
		t.Errorf("installed-state status %v, want %s", st, installer.StatusError)
	}
	purge(t, env, c)
}

// TestRevisionSideBySide: a canary control plane installs next to the default one with suffixed names
// and its own istio.io/rev; uninstalling the canary leaves the default one and the shared CRDs alone.
func TestRevisionSideBySide(t *testing.T) {
	env := testenv.Get(t)
	c := clients(t, env)
	ctx := t.Context()
	cleanupPurge(t, c)
	mustInstall(t, c, "profile=minimal")
	mustInstall(t, c, "profile=minimal", "revision=canary")
	canary, err := env.Client().AppsV1().Deployments("istio-system").Get(ctx, "istiod-canary", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if canary.Labels["istio.io/rev"] != "canary" || canary.Labels[installer.LabelOwner] != "installed-state-canary" {
		t.Errorf("istiod-canary labels %v", canary.Labels)
	}
	for _, name := range []string{"istio-sidecar-injector", "istio-sidecar-injector-canary"} {
		if _, err := env.Client().AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("webhook %s: %v", name, err)
		}
	}
	planes, err := c.ControlPlanes(ctx, "istio-system")
	if err != nil || len(planes) != 2 {
		t.Fatalf("control planes %+v %v", planes, err)
	}
	// The default revision is untouched by the canary: still verified clean, CRDs included.
	_, def := resolve(t, "profile=minimal")
	if rep, err := installer.Verify(ctx, installer.VerifyOptions{Clients: c, Manifest: def}); err != nil || !rep.Healthy() {
		t.Errorf("verify default revision after canary install: %+v %v", rep, err)
	}

	res, err := installer.Uninstall(ctx, installer.UninstallOptions{Clients: c, Revision: "canary", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Removed, "Deployment/istio-system/istiod-canary") || slices.ContainsFunc(res.Removed, func(s string) bool {
		return strings.HasPrefix(s, "CustomResourceDefinition/") || s == "Deployment/istio-system/istiod"
	}) {
		t.Errorf("uninstall --revision canary removed %v", res.Removed)
	}
	if _, err := env.Client().AppsV1().Deployments("istio-system").Get(ctx, "istiod", metav1.GetOptions{}); err != nil {
		t.Errorf("default istiod after removing the canary: %v", err)
	}
	if left, err := c.FindOwned(ctx, "installed-state-canary"); err != nil || len(left) > 0 {
		t.Errorf("canary objects left: %v %v", left, err)
	}
	purge(t, env, c)
}

// TestForbidden: a user who may not create what install creates gets a list of the missing permissions
// and nothing is applied.
func TestForbidden(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	ctx := t.Context()
	cs := env.Client()
	sa, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "installer"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// It may read CRDs, nothing more.
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ns + "-crd-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: []string{"get", "list"}}}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: ns + "-crd-reader"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: ns}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), binding.Name, metav1.DeleteOptions{})
		_ = cs.RbacV1().ClusterRoles().Delete(context.Background(), role.Name, metav1.DeleteOptions{})
	})
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(env.Config())
	cfg.BearerToken = tok.Status.Token
	restricted, err := installer.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	run := install(t, restricted, nil, "profile=minimal")
	var fe *installer.ForbiddenError
	if !errors.As(run.err, &fe) {
		t.Fatalf("install as a restricted user: %v, want a ForbiddenError", run.err)
	}
	user := "system:serviceaccount:" + ns + ":installer"
	msg := run.err.Error()
	for _, want := range []string{user, "create, patch, delete customresourcedefinitions.apiextensions.k8s.io at the cluster scope", "get, create, patch, delete deployments.apps in namespace istio-system", "ask a cluster administrator"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if slices.ContainsFunc(fe.Denied, func(p installer.Permission) bool { return p.Verb == "get" && p.Resource == "customresourcedefinitions" }) {
		t.Errorf("get customresourcedefinitions is granted but reported denied: %v", fe.Denied)
	}
	if left := leftovers(t, env); len(left) > 0 {
		t.Errorf("a refused install applied objects: %v", left)
	}
}

// TestAnotherToolsInstall: objects of an Istio install, or another sidecar injector, stop install
// before it changes anything, with a message that says what to do.
func TestAnotherToolsInstall(t *testing.T) {
	env := testenv.Get(t)
	c := clients(t, env)
	ctx := t.Context()
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "virtualservices.networking.istio.io", Labels: map[string]string{"app.kubernetes.io/part-of": "istio"}},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "networking.istio.io", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "virtualservices", Singular: "virtualservice", Kind: "VirtualService", ListKind: "VirtualServiceList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr.To(true)}}}},
		},
	}
	if _, err := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{FieldManager: "istio-operator"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), crd.Name, metav1.DeleteOptions{})
	})
	run := install(t, c, nil, "profile=minimal")
	var fie *installer.ForeignInstallError
	if !errors.As(run.err, &fie) {
		t.Fatalf("install over an Istio CRD: %v, want a ForeignInstallError", run.err)
	}
	for _, want := range []string{"an existing install from another tool", "CustomResourceDefinition/virtualservices.networking.istio.io", "app.kubernetes.io/part-of=istio", "istio-operator", "--force"} {
		if !strings.Contains(run.err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, run.err)
		}
	}
	if err := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions().Delete(ctx, crd.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	// Another sidecar injector. Its selectors match nothing, so it never gets in the way of other tests.
	hook := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "istio-sidecar-injector-1-24", Labels: map[string]string{"app.kubernetes.io/part-of": "istio"}},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "rev.namespace.sidecar-injector.istio.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
				Namespace: "istio-system", Name: "istiod-1-24", Path: ptr.To("/inject")}},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"meshctl.io/never": "true"}},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := env.Client().AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, hook, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.Client().AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(context.Background(), hook.Name, metav1.DeleteOptions{})
	})
	// The CRD may still be terminating; wait until it is gone so only the webhook is in the way.
	for i := 0; i < 50; i++ {
		if _, err := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	run = install(t, c, nil, "profile=minimal")
	var wce *installer.WebhookConflictError
	if !errors.As(run.err, &wce) {
		t.Fatalf("install next to another injector: %v, want a WebhookConflictError", run.err)
	}
	for _, want := range []string{"conflicting webhooks", "istio-sidecar-injector-1-24", "istio-system/istiod-1-24", "--force"} {
		if !strings.Contains(run.err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, run.err)
		}
	}
	if left := leftovers(t, env); len(left) > 0 {
		t.Errorf("a refused install applied objects: %v", left)
	}
}

// TestUnreachable: no API server at the address gives an UnreachableError naming it.
func TestUnreachable(t *testing.T) {
	c, err := installer.NewClients(&rest.Config{Host: "https://127.0.0.1:1", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	run := install(t, c, nil, "profile=minimal")
	var ue *installer.UnreachableError
	if !errors.As(run.err, &ue) || !strings.Contains(run.err.Error(), "no cluster reachable at https://127.0.0.1:1") {
		t.Fatalf("install without a cluster: %v", run.err)
	}
}

// TestPurgeKeepsNamespaceWithUserObjects: a plugged-in CA (Secret cacerts) keeps istio-system from being
// deleted; it loses meshctl's labels and the report says why it stayed.
func TestPurgeKeepsNamespaceWithUserObjects(t *testing.T) {
	env := testenv.Get(t)
	c := clients(t, env)
	ctx := t.Context()
	cleanupPurge(t, c)
	mustInstall(t, c, "profile=minimal")
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cacerts", Namespace: "istio-system"}, StringData: map[string]string{"ca-cert.pem": "x"}}
	if _, err := env.Client().CoreV1().Secrets("istio-system").Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	res := purge(t, env, c)
	var kept *installer.Leftover
	for i, k := range res.Kept {
		if k.Object == "Namespace/istio-system" {
			kept = &res.Kept[i]
		}
	}
	if kept == nil || !strings.Contains(kept.Reason, "Secret/cacerts") {
		t.Fatalf("kept %+v, want Namespace/istio-system held by Secret/cacerts", res.Kept)
	}
	ns, err := env.Client().CoreV1().Namespaces().Get(ctx, "istio-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{installer.LabelOwner, installer.LabelPartOf, installer.LabelRevision} {
		if _, ok := ns.Labels[l]; ok {
			t.Errorf("kept namespace still has label %s: %v", l, ns.Labels)
		}
	}
	// The user's namespace is adopted by the next install, and the secret stays theirs.
	mustInstall(t, c, "profile=minimal")
	if err := env.Client().CoreV1().Secrets("istio-system").Delete(ctx, "cacerts", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	purge(t, env, c)
}
