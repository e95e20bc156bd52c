package webhook

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/meshctl/meshctl/meshapi"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConfigWatcherReloads: the injector's ConfigMaps of the revision are read when they appear and again
// when they change; a change that does not parse leaves the configuration in service.
func TestConfigWatcherReloads(t *testing.T) {
	defaultConfig(t) // renders defaults
	client := fake.NewClientset()
	w := &ConfigWatcher{Client: client, Namespace: "mesh", Revision: "canary", Log: quiet}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	if _, _, err := w.Config(); err == nil {
		t.Fatal("a configuration before any ConfigMap exists")
	}
	cms := client.CoreV1().ConfigMaps("mesh")
	injector := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: meshapi.Revisioned(meshapi.InjectorConfigMap, "canary")},
		Data: map[string]string{meshapi.InjectorConfigKey: defaults.Config, meshapi.InjectorValuesKey: defaults.Values}}
	mesh := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: meshapi.Revisioned(meshapi.MeshConfigMap, "canary")},
		Data: map[string]string{meshapi.MeshConfigKey: defaults.Mesh}}
	for _, cm := range []*corev1.ConfigMap{injector, mesh} {
		if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "configuration loaded", func() bool { c, _, err := w.Config(); return err == nil && c.Policy == "enabled" })

	injector.Data[meshapi.InjectorConfigKey] = strings.Replace(defaults.Config, "policy: enabled", "policy: disabled", 1)
	if injector.Data[meshapi.InjectorConfigKey] == defaults.Config {
		t.Fatal("the rendered config has no `policy: enabled` line to change")
	}
	if _, err := cms.Update(ctx, injector, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "change reloaded", func() bool { c, _, _ := w.Config(); return c != nil && c.Policy == "disabled" })

	injector.Data[meshapi.InjectorConfigKey] = "policy: [broken"
	if _, err := cms.Update(ctx, injector, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the informer delivers the update; nothing observable changes
	if c, _, err := w.Config(); err != nil || c.Policy != "disabled" {
		t.Errorf("after a broken change: config %v, err %v; want the one in service kept", c, err)
	}
}
