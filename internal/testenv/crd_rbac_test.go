package testenv

import (
	"context"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

func TestCRDIsEstablishedAndValidates(t *testing.T) {
	env := Get(t)
	ns := env.Namespace(t)
	// A group of its own per run: CRDs are cluster-wide and -count=N reuses the cluster.
	group := ns + ".testenv.meshctl.io"
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {
							Type:     "object",
							Required: []string{"replicas"},
							Properties: map[string]apiextensionsv1.JSONSchemaProps{
								"replicas": {Type: "integer", Minimum: ptr.To(1.0)},
							},
						},
					},
				}},
			}},
		},
	}
	crds := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Create(t.Context(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = crds.Delete(context.Background(), crd.Name, metav1.DeleteOptions{}) })
	Poll(t, "CRD Established", func(ctx context.Context) (bool, error) {
		got, err := crds.Get(ctx, crd.Name, metav1.GetOptions{})
		return err == nil && crdEstablished(got), err
	})

	widgets := env.Dynamic().Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: "widgets"}).Namespace(ns)
	widget := func(name string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": group + "/v1", "kind": "Widget",
			"metadata": map[string]any{"name": name}, "spec": spec,
		}}
	}
	// Discovery of a new CRD reaches the dynamic client's REST mapping a moment after
	// Established; a valid object must then be accepted.
	Poll(t, "create a valid Widget", func(ctx context.Context) (bool, error) {
		_, err := widgets.Create(ctx, widget("good", map[string]any{"replicas": int64(2)}), metav1.CreateOptions{})
		return err == nil, err
	})
	for name, spec := range map[string]map[string]any{
		"wrong-type":    {"replicas": "two"},
		"below-min":     {"replicas": int64(0)},
		"missing-field": {},
	} {
		_, err := widgets.Create(t.Context(), widget(name, spec), metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Errorf("Widget %s with spec %v: got %v, want Invalid", name, spec, err)
			continue
		}
		if !strings.Contains(err.Error(), "spec.replicas") {
			t.Errorf("Widget %s: error should name spec.replicas: %v", name, err)
		}
	}
}

func TestRBACDeniesRestrictedServiceAccount(t *testing.T) {
	env := Get(t)
	ns := env.Namespace(t)
	cs := env.Client()
	ctx := t.Context()
	sa, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "reader"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "configmap-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: ns}},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A real token from the TokenRequest API, so authentication is the apiserver's too.
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(env.Config())
	cfg.BearerToken = tok.Status.Token
	as, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The RBAC authorizer's cache picks the new binding up within moments.
	Poll(t, "the service account may list configmaps", func(ctx context.Context) (bool, error) {
		_, err := as.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		return err == nil, err
	})
	denied := map[string]error{}
	_, denied["list secrets"] = as.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	_, denied["create configmap"] = as.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	_, denied["list configmaps in kube-system"] = as.CoreV1().ConfigMaps("kube-system").List(ctx, metav1.ListOptions{})
	for what, err := range denied {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s as %s: got %v, want Forbidden", what, sa.Name, err)
		} else if !strings.Contains(err.Error(), "system:serviceaccount:"+ns+":reader") {
			t.Errorf("%s: Forbidden should name the service account: %v", what, err)
		}
	}
}
