package ca

import (
	"context"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/meshctl/meshctl/meshapi"
)

// RootPublisher keeps ConfigMap istio-ca-root-cert, holding the mesh's roots, in every namespace but the
// cluster's own (meshapi.IsSystemNamespace): proxies mount it to verify meshd and their peers. A deleted or
// edited one is put back; a new root is written everywhere. Only the leader runs it.
type RootPublisher struct {
	Client kubernetes.Interface
	CA     *Current
	Log    *slog.Logger
}

// rootLabels mark the ConfigMap as Istio marks it, and as meshctl's (uninstall --purge removes it).
func rootLabels() map[string]string {
	return map[string]string{meshapi.LabelIstioConfig: "true", meshapi.LabelPartOf: meshapi.PartOfMeshctl}
}

// Run publishes until ctx ends.
func (p *RootPublisher) Run(ctx context.Context) error {
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "istio-ca-root-cert"})
	defer queue.ShutDown()

	nsFactory := informers.NewSharedInformerFactory(p.Client, 0)
	cmFactory := informers.NewSharedInformerFactoryWithOptions(p.Client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", meshapi.RootCertConfigMap).String()
	}))
	namespaces := nsFactory.Core().V1().Namespaces()
	configMaps := cmFactory.Core().V1().ConfigMaps()
	enqueueNS := func(obj any) {
		if ns, ok := obj.(*corev1.Namespace); ok {
			queue.Add(ns.Name)
		}
	}
	enqueueCM := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			queue.Add(cm.Namespace)
		}
	}
	if _, err := namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueNS, UpdateFunc: func(_, n any) { enqueueNS(n) },
	}); err != nil {
		return err
	}
	if _, err := configMaps.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueCM, UpdateFunc: func(_, n any) { enqueueCM(n) }, DeleteFunc: enqueueCM,
	}); err != nil {
		return err
	}
	nsFactory.Start(ctx.Done())
	cmFactory.Start(ctx.Done())
	defer nsFactory.Shutdown()
	defer cmFactory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), namespaces.Informer().HasSynced, configMaps.Informer().HasSynced) {
		return nil
	}
	nsLister, cmLister := namespaces.Lister(), configMaps.Lister()

	// A new authority means new roots everywhere.
	go func() {
		for {
			changed := p.CA.Changed()
			select {
			case <-ctx.Done():
				queue.ShutDown()
				return
			case <-changed:
				all, _ := nsLister.List(labels.Everything())
				for _, ns := range all {
					queue.Add(ns.Name)
				}
			}
		}
	}()

	for {
		ns, shutdown := queue.Get()
		if shutdown {
			return nil
		}
		err := p.sync(ctx, ns, nsLister, cmLister)
		if err != nil && ctx.Err() == nil {
			p.log().Warn("istio-ca-root-cert: cannot publish", "namespace", ns, "err", err)
			queue.AddRateLimited(ns)
		} else {
			queue.Forget(ns)
		}
		queue.Done(ns)
	}
}

// sync makes namespace's ConfigMap hold the current roots.
func (p *RootPublisher) sync(ctx context.Context, namespace string, nsLister corelisters.NamespaceLister, cmLister corelisters.ConfigMapLister) error {
	a := p.CA.Get()
	if a == nil || meshapi.IsSystemNamespace(namespace) {
		return nil
	}
	ns, err := nsLister.Get(namespace)
	if apierrors.IsNotFound(err) || err == nil && (ns.Status.Phase == corev1.NamespaceTerminating || ns.DeletionTimestamp != nil) {
		return nil
	}
	if err != nil {
		return err
	}
	roots := string(a.RootsPEM())
	client := p.Client.CoreV1().ConfigMaps(namespace)
	cm, err := cmLister.ConfigMaps(namespace).Get(meshapi.RootCertConfigMap)
	if apierrors.IsNotFound(err) {
		want := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: meshapi.RootCertConfigMap, Namespace: namespace, Labels: rootLabels()},
			Data:       map[string]string{meshapi.RootCertKey: roots},
		}
		_, err := client.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("created meanwhile: %w", err) // retried once the informer has it
		}
		return err
	}
	if err != nil {
		return err
	}
	if cm.Data[meshapi.RootCertKey] == roots && len(cm.Data) == 1 && hasLabels(cm.Labels, rootLabels()) {
		return nil
	}
	update := cm.DeepCopy()
	update.Data = map[string]string{meshapi.RootCertKey: roots}
	if update.Labels == nil {
		update.Labels = map[string]string{}
	}
	for k, v := range rootLabels() {
		update.Labels[k] = v
	}
	_, err = client.Update(ctx, update, metav1.UpdateOptions{})
	return err
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func (p *RootPublisher) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}
