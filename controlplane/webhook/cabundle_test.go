package webhook

import (
	"bytes"
	"context"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/meshctl/meshctl/meshapi"
)

// TestBundlePatcherTouchesItsOwnOnly: the revision's configurations get the bundle; another revision's,
// and istiod-default-validator unless labelled with the revision, keep theirs; the validator stays
// Ignore while its webhook is not verified.
func TestBundlePatcherTouchesItsOwnOnly(t *testing.T) {
	ignore := ptr.To(admissionregistrationv1.Ignore)
	mwc := func(name, rev string) *admissionregistrationv1.MutatingWebhookConfiguration {
		return &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{meshapi.LabelRevision: rev}},
			Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "a"}, {Name: "b"}}}
	}
	vwc := func(name string, labels map[string]string) *admissionregistrationv1.ValidatingWebhookConfiguration {
		return &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "v", FailurePolicy: ignore}}}
	}
	for _, tc := range []struct {
		name, revision, defaultValidatorRev string
		wantDefault                         bool
	}{
		{"default revision", "", "default", true},
		{"default validator of another revision", "", "canary", false},
		{"canary", "canary", "default", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rev := tc.revision
			client := fake.NewClientset(
				mwc(meshapi.Revisioned(meshapi.InjectorWebhook, rev), firstOr(rev, "default")),
				mwc(meshapi.Revisioned(meshapi.InjectorWebhook, "other"), "other"),
				vwc(meshapi.ValidatorWebhook(rev, "mesh"), map[string]string{meshapi.LabelRevision: firstOr(rev, "default")}),
				vwc(meshapi.DefaultValidatorWebhook, map[string]string{meshapi.LabelRevision: tc.defaultValidatorRev}),
			)
			bundle := []byte("-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n")
			p := &BundlePatcher{Client: client, Namespace: "mesh", Revision: rev, Bundle: func() []byte { return bundle }, Log: quiet}
			if err := p.sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			adm := client.AdmissionregistrationV1()
			own, _ := adm.MutatingWebhookConfigurations().Get(ctx, meshapi.Revisioned(meshapi.InjectorWebhook, rev), metav1.GetOptions{})
			for _, h := range own.Webhooks {
				if !bytes.Equal(h.ClientConfig.CABundle, bundle) {
					t.Errorf("own injector webhook %s has no bundle", h.Name)
				}
			}
			other, _ := adm.MutatingWebhookConfigurations().Get(ctx, meshapi.Revisioned(meshapi.InjectorWebhook, "other"), metav1.GetOptions{})
			if len(other.Webhooks[0].ClientConfig.CABundle) > 0 {
				t.Error("another revision's injector got the bundle")
			}
			v, _ := adm.ValidatingWebhookConfigurations().Get(ctx, meshapi.ValidatorWebhook(rev, "mesh"), metav1.GetOptions{})
			if !bytes.Equal(v.Webhooks[0].ClientConfig.CABundle, bundle) || *v.Webhooks[0].FailurePolicy != admissionregistrationv1.Ignore {
				t.Errorf("own validator: bundle %q, failurePolicy %s; want the bundle and Ignore until verified", v.Webhooks[0].ClientConfig.CABundle, *v.Webhooks[0].FailurePolicy)
			}
			d, _ := adm.ValidatingWebhookConfigurations().Get(ctx, meshapi.DefaultValidatorWebhook, metav1.GetOptions{})
			if got := len(d.Webhooks[0].ClientConfig.CABundle) > 0; got != tc.wantDefault {
				t.Errorf("istiod-default-validator patched = %v, want %v", got, tc.wantDefault)
			}
		})
	}
}

func firstOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
