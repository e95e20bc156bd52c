package testenv

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/utils/ptr"
)

func TestServerReportsPinnedVersion(t *testing.T) {
	env := Get(t)
	info, err := env.Client().Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if info.GitVersion != env.Version {
		t.Fatalf("server version %s, want %s", info.GitVersion, env.Version)
	}
}

func TestDeploymentBecomesAvailable(t *testing.T) {
	env := Get(t)
	ns := env.Namespace(t)
	labels := map[string]string{"app": "web"}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "web", Image: "registry.invalid/web:1",
					Ports: []corev1.ContainerPort{{ContainerPort: 80}},
				}}},
			},
		},
	}
	if _, err := env.Client().AppsV1().Deployments(ns).Create(t.Context(), deploy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	Poll(t, "deployment Available with 2 ready replicas", func(ctx context.Context) (bool, error) {
		d, err := env.Client().AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
				return d.Status.ReadyReplicas == 2, nil
			}
		}
		return false, nil
	})
	pods, err := env.Client().CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
			t.Errorf("pod %s: node %q phase %s IP %q; want scheduled, Running, with an IP", p.Name, p.Spec.NodeName, p.Status.Phase, p.Status.PodIP)
		}
	}
}

func TestServerSideApplyReportsConflicts(t *testing.T) {
	env := Get(t)
	ns := env.Namespace(t)
	cms := env.Client().CoreV1().ConfigMaps(ns)
	apply := func(manager, value string, force bool) error {
		cm := corev1ac.ConfigMap("mesh", ns).WithData(map[string]string{"mode": value})
		_, err := cms.Apply(t.Context(), cm, metav1.ApplyOptions{FieldManager: manager, Force: force})
		return err
	}
	if err := apply("installer", "strict", false); err != nil {
		t.Fatalf("first apply: %v", err)
	}
	err := apply("someone-else", "permissive", false)
	if !apierrors.IsConflict(err) {
		t.Fatalf("apply of a field another manager owns: got %v, want a conflict", err)
	}
	if !strings.Contains(err.Error(), `"installer"`) || !strings.Contains(err.Error(), ".data.mode") {
		t.Errorf("conflict should name the owner and the field: %v", err)
	}
	if err := apply("someone-else", "permissive", true); err != nil {
		t.Fatalf("forced apply: %v", err)
	}
	cm, err := cms.Get(t.Context(), "mesh", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["mode"] != "permissive" {
		t.Errorf("after forced apply data.mode = %q, want permissive", cm.Data["mode"])
	}
	var managers []string
	for _, mf := range cm.ManagedFields {
		managers = append(managers, mf.Manager)
	}
	if fmt.Sprint(managers) != "[someone-else]" {
		t.Errorf("managers after forced apply: %v, want only someone-else", managers)
	}
}
