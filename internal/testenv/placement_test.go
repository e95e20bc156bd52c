package testenv

import (
	"strings"
	"testing"
)

func TestPlaceOnRealNode(t *testing.T) {
	in := `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      nodeSelector: {disk: ssd}
      tolerations: [{key: other, operator: Exists}]
      containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]
`
	out, err := PlaceOnRealNode([]byte(in), "in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{
		"disk: ssd", RealNodeLabel + `: "true"`, "key: other", "key: " + RealNodeTaint, "containerPort: 80", "kind: Service",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, RealNodeTaint) != 2 { // the label and the toleration, once each
		t.Errorf("the Service was changed, or the Deployment twice:\n%s", got)
	}
	if _, err := PlaceOnRealNode([]byte("kind: Deployment\nmetadata: {name: x}\nspec: {}\n"), "bad.yaml"); err == nil || !strings.Contains(err.Error(), "bad.yaml:1") {
		t.Errorf("a Deployment without a pod template: %v; want an error naming bad.yaml:1", err)
	}
}
