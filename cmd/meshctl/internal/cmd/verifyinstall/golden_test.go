package verifyinstall

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/golden"
	"github.com/meshctl/meshctl/printer"
)

func sample() Result {
	rep := &installer.VerifyReport{Objects: []installer.ObjectStatus{
		{Object: "CustomResourceDefinition/gateways.networking.istio.io", Component: "Mesh core", Status: installer.VerifyOK},
		{Object: "ConfigMap/istio-system/istio", Component: "Istiod", Status: installer.VerifyMissing, Detail: "not found on the cluster"},
		{Object: "Deployment/istio-system/istiod", Component: "Istiod", Status: installer.VerifyDrifted, Detail: "differs from the configuration at spec.replicas"},
		{Object: "Deployment/istio-system/istio-ingressgateway", Component: "Ingress gateways", Status: installer.VerifyNotReady,
			Detail: "0 of 1 replicas available\n  pod istio-ingressgateway-5d8f-x2k: Pending, Unschedulable: 0/3 nodes are available"},
		{Object: "Service/istio-system/istio-egressgateway", Component: "Egress gateways", Status: installer.VerifyOK},
	}, OK: 2, Missing: 1, Drifted: 1, NotReady: 1}
	return Result{Revisions: []Revision{{Revision: "default", Profile: "demo", Report: rep}}}
}

func TestLogGolden(t *testing.T) {
	var buf bytes.Buffer
	writeLog(&buf, sample())
	golden.Check(t, filepath.Join("testdata", "log.txt"), buf.Bytes())
}

func TestTableGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := printer.Print(&buf, printer.Table, sample()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "table.txt"), buf.Bytes())
}
