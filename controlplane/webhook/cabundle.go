package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	restclient "k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"

	"github.com/meshctl/meshctl/meshapi"
)

// BundlePatcher writes the CA bundle into the revision's own webhook configurations (the injector's
// MutatingWebhookConfiguration, the revision's ValidatingWebhookConfiguration, and istiod-default-validator
// when it is labelled with the revision) and, once the validating webhook is verified to answer, turns its
// failurePolicy from the chart's Ignore to Fail, as Istio does: configuration applied while meshd starts is
// let through rather than refused by a webhook nobody serves yet.
type BundlePatcher struct {
	Client    kubernetes.Interface
	Namespace string
	// Revision is meshd's revision ("" for the default one).
	Revision string
	// Bundle is the current CA bundle (the roots), nil while there is none; Changed is closed when it changes.
	Bundle  func() []byte
	Changed func() <-chan struct{}
	// Serving says whether the webhook server has a certificate to serve.
	Serving func() bool
	Log     *slog.Logger

	verified bool
}

func (p *BundlePatcher) revisionLabel() string {
	if p.Revision == "" {
		return meshapi.DefaultRevision
	}
	return p.Revision
}

// Run keeps the configurations patched until ctx ends.
func (p *BundlePatcher) Run(ctx context.Context) error {
	poke := make(chan struct{}, 1)
	wake := func(any) {
		select {
		case poke <- struct{}{}:
		default:
		}
	}
	f := informers.NewSharedInformerFactory(p.Client, 0)
	handler := cache.ResourceEventHandlerFuncs{AddFunc: wake, UpdateFunc: func(_, n any) { wake(n) }}
	if _, err := f.Admissionregistration().V1().MutatingWebhookConfigurations().Informer().AddEventHandler(handler); err != nil {
		return err
	}
	if _, err := f.Admissionregistration().V1().ValidatingWebhookConfigurations().Informer().AddEventHandler(handler); err != nil {
		return err
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		changed := p.Changed()
		if err := p.sync(ctx); err != nil && ctx.Err() == nil {
			p.log().Warn("webhook configurations: cannot patch", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-poke:
		case <-tick.C:
		}
	}
}

func (p *BundlePatcher) sync(ctx context.Context) error {
	bundle := p.Bundle()
	if len(bundle) == 0 {
		return nil
	}
	mutating := p.Client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	name := meshapi.Revisioned(meshapi.InjectorWebhook, p.Revision)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		c, err := mutating.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil || !p.ours(c.Labels, false) {
			return err
		}
		changed := false
		for i := range c.Webhooks {
			if !bytes.Equal(c.Webhooks[i].ClientConfig.CABundle, bundle) {
				c.Webhooks[i].ClientConfig.CABundle, changed = bundle, true
			}
		}
		if !changed {
			return nil
		}
		_, err = mutating.Update(ctx, c, metav1.UpdateOptions{})
		if err == nil {
			p.log().Info("webhook configuration: CA bundle written", "mutatingwebhookconfiguration", name)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("MutatingWebhookConfiguration %s: %w", name, err)
	}

	serving := p.Serving == nil || p.Serving()
	if serving && !p.verified {
		p.verified = p.verify(ctx)
	}
	validating := p.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	for _, v := range []struct {
		name         string
		requireLabel bool
	}{{meshapi.ValidatorWebhook(p.Revision, p.Namespace), false}, {meshapi.DefaultValidatorWebhook, true}} {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			c, err := validating.Get(ctx, v.name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil || !p.ours(c.Labels, v.requireLabel) {
				return err
			}
			changed := false
			for i := range c.Webhooks {
				h := &c.Webhooks[i]
				if !bytes.Equal(h.ClientConfig.CABundle, bundle) {
					h.ClientConfig.CABundle, changed = bundle, true
				}
				if p.verified && (h.FailurePolicy == nil || *h.FailurePolicy != admissionregistrationv1.Fail) {
					fail := admissionregistrationv1.Fail
					h.FailurePolicy, changed = &fail, true
				}
			}
			if !changed {
				return nil
			}
			_, err = validating.Update(ctx, c, metav1.UpdateOptions{})
			if err == nil {
				p.log().Info("webhook configuration: patched", "validatingwebhookconfiguration", v.name, "failurePolicyFail", p.verified)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("ValidatingWebhookConfiguration %s: %w", v.name, err)
		}
	}
	return nil
}

// ours reports whether a configuration belongs to meshd's revision: its istio.io/rev label is the
// revision, or (unless requireLabel) it has none.
func (p *BundlePatcher) ours(labels map[string]string, requireLabel bool) bool {
	rev, ok := labels[meshapi.LabelRevision]
	if !ok {
		return !requireLabel
	}
	return rev == p.revisionLabel()
}

// verify asks the API server to create, as a dry run, a Gateway this revision's validator must refuse:
// refused by our webhook means the API server reaches it with the bundle in place, so Fail is safe.
func (p *BundlePatcher) verify(ctx context.Context) bool {
	gateway := map[string]any{
		"apiVersion": "networking.istio.io/v1",
		"kind":       "Gateway",
		"metadata": map[string]any{
			"name": "invalid-gateway-validation-check", "namespace": p.Namespace,
			"labels": map[string]any{meshapi.LabelRevision: p.revisionLabel()},
		},
		// No servers: the schema lets it through to the webhooks, the validator never (as Istio's check).
		"spec": map[string]any{},
	}
	body, _ := json.Marshal(gateway)
	rest := p.Client.CoreV1().RESTClient()
	if rc, ok := rest.(*restclient.RESTClient); rest == nil || ok && rc == nil {
		return false // a fake clientset has no REST client: nothing to verify with
	}
	err := rest.Post().AbsPath("/apis/networking.istio.io/v1/namespaces", p.Namespace, "gateways").
		Param("dryRun", "All").SetHeader("Content-Type", "application/json").Body(body).Do(ctx).Error()
	if err == nil {
		return false // let through: the webhook is not called yet (or fails open)
	}
	if strings.Contains(err.Error(), "denied the request") {
		p.log().Info("validation webhook verified: the API server calls it")
		return true
	}
	p.log().Debug("validation webhook not verified yet", "err", err)
	return false
}

func (p *BundlePatcher) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}
