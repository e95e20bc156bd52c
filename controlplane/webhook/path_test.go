package webhook

import (
	"reflect"
	"testing"
)

func TestPathEnv(t *testing.T) {
	for _, tc := range []struct {
		path string
		want map[string]string
	}{
		{"/inject", nil},
		{"/inject/", nil},
		{"/inject/cluster/c1/net/n1", map[string]string{"ISTIO_META_CLUSTER_ID": "c1", "ISTIO_META_NETWORK": "n1"}},
		{"/inject/cluster/c1/net/n1/", map[string]string{"ISTIO_META_CLUSTER_ID": "c1", "ISTIO_META_NETWORK": "n1"}},
		{"/inject/cluster/a--slash--b/odd", map[string]string{"ISTIO_META_CLUSTER_ID": "a/b"}},
		{"/inject/foo/bar/cluster/", map[string]string{"FOO": "bar"}},
		{"/inject/:ENV:cluster=c2:ENV:net=n2:ENV:=x:ENV:bad", map[string]string{"ISTIO_META_CLUSTER_ID": "c2", "ISTIO_META_NETWORK": "n2"}},
	} {
		got := PathEnv(tc.path)
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("PathEnv(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestPathEnvReachesTheProxy(t *testing.T) {
	h := testInjector(t)
	pod := map[string]any{"metadata": map[string]any{"name": "p"}, "spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "x"}}}}
	raw := mustJSON(t, pod)
	got, err := h.InjectPod(raw, "ns", "/inject/cluster/east/net/n1")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]any{}
	for _, c := range got["spec"].(map[string]any)["containers"].([]any) {
		c := c.(map[string]any)
		if c["name"] != "istio-proxy" {
			continue
		}
		for _, e := range c["env"].([]any) {
			e := e.(map[string]any)
			if _, dup := env[e["name"].(string)]; dup {
				t.Errorf("env %s twice", e["name"])
			}
			env[e["name"].(string)] = e["value"]
		}
	}
	if env["ISTIO_META_CLUSTER_ID"] != "east" || env["ISTIO_META_NETWORK"] != "n1" {
		t.Errorf("proxy env cluster=%v network=%v, want east and n1", env["ISTIO_META_CLUSTER_ID"], env["ISTIO_META_NETWORK"])
	}
}

func TestWorkloadOf(t *testing.T) {
	owner := func(apiVersion, kind, name string) []any {
		return []any{map[string]any{"apiVersion": apiVersion, "kind": kind, "name": name, "controller": true}}
	}
	for _, tc := range []struct {
		name string
		meta map[string]any
		want string // apiVersion kind name
	}{
		{"bare pod", map[string]any{"name": "p"}, "v1 Pod p"},
		{"deployment", map[string]any{"generateName": "web-5d4-", "labels": map[string]any{"pod-template-hash": "5d4"}, "ownerReferences": owner("apps/v1", "ReplicaSet", "web-5d4")}, "apps/v1 Deployment web"},
		{"bare replicaset", map[string]any{"generateName": "rs-", "ownerReferences": owner("apps/v1", "ReplicaSet", "rs")}, "apps/v1 ReplicaSet rs"},
		{"cronjob", map[string]any{"generateName": "backup-29000000-", "ownerReferences": owner("batch/v1", "Job", "backup-29000000")}, "batch/v1 CronJob backup"},
		{"job", map[string]any{"generateName": "once-", "ownerReferences": owner("batch/v1", "Job", "once")}, "batch/v1 Job once"},
		{"statefulset", map[string]any{"name": "db-0", "ownerReferences": owner("apps/v1", "StatefulSet", "db")}, "v1 Pod db-0"},
		{"not a controller", map[string]any{"generateName": "x-", "name": "", "ownerReferences": []any{map[string]any{"kind": "ReplicaSet", "name": "r"}}}, "v1 Pod "},
	} {
		w := workloadOf(tc.meta, "ns")
		if got := w.APIVersion + " " + w.Kind + " " + w.Name; got != tc.want || w.Namespace != "ns" {
			t.Errorf("%s: workload %q in %q, want %q", tc.name, got, w.Namespace, tc.want)
		}
	}
}
