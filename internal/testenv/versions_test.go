package testenv

import (
	"slices"
	"strings"
	"testing"
)

func TestMinor(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"v1.37.1", 37, false},
		{"v1.33.13", 33, false},
		{"1.30.0", 30, false},
		{"v2.0.0", 0, true},
		{"v1.33", 0, true},
		{"v1.x.1", 0, true},
		{"v1.33.x", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := Minor(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Minor(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSupportedRange(t *testing.T) {
	if MinSupported() > MaxSupported() {
		t.Fatalf("Oldest %s is newer than Newest %s", Oldest, Newest)
	}
	if Versions[0] != Newest || !slices.Contains(Versions, Oldest) {
		t.Errorf("Versions = %v, want Newest first and Oldest in it", Versions)
	}
	for _, tgt := range Prebuilt {
		if _, err := normalizeComponents(tgt.Components); err != nil {
			t.Errorf("Prebuilt %s: %v", tgt.Version, err)
		}
	}
}

func TestStagingVersion(t *testing.T) {
	got, err := stagingVersion("v1.33.13")
	if err != nil || got != "v0.33.13" {
		t.Fatalf("stagingVersion(v1.33.13) = %q, %v; want v0.33.13", got, err)
	}
	if _, err := stagingVersion("v1.33"); err == nil {
		t.Fatal("stagingVersion(v1.33): want an error")
	}
}

func TestParseComponents(t *testing.T) {
	tests := []struct {
		in      string
		want    []Component
		wantErr string
	}{
		{"", AllComponents, ""},
		{"all", AllComponents, ""},
		{"api", APIOnly, ""},
		{"kube-apiserver, etcd", APIOnly, ""}, // put in start order
		{"etcd,kube-apiserver,kwok", []Component{Etcd, APIServer, Kwok}, ""},
		{"etcd", nil, "always needed"},
		{"etcd,kube-apiserver,kubelet", nil, `unknown component "kubelet"`},
	}
	for _, tt := range tests {
		got, err := ParseComponents(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseComponents(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseComponents(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestNamespaceName(t *testing.T) {
	for _, name := range []string{
		"TestDeploymentBecomesAvailable",
		"TestX/sub_test#01",
		strings.Repeat("TestVeryLong", 20),
		"///",
	} {
		got := namespaceName(name)
		if len(got) > 63 || strings.Trim(got, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" ||
			strings.HasPrefix(got, "-") || strings.HasSuffix(got, "-") {
			t.Errorf("namespaceName(%q) = %q: not a DNS label", name, got)
		}
	}
	if a, b := namespaceName("TestA"), namespaceName("TestA"); a == b {
		t.Error("namespaceName gives the same name twice; -count=2 would collide")
	}
}

func TestForwardRule(t *testing.T) {
	got, err := forward(80, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	target := got["target"].(map[string]any)
	if target["address"] != "127.0.0.1" || target["port"] != int64(8080) || !slices.Equal(got["ports"].([]any), []any{int64(80)}) {
		t.Errorf("forward(80, 127.0.0.1:8080) = %v", got)
	}
	all, err := forward(0, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := all["ports"]; ok {
		t.Errorf("forward(0, ...) should forward every port: %v", all)
	}
	for _, bad := range []string{"127.0.0.1", "127.0.0.1:http"} {
		if _, err := forward(80, bad); err == nil {
			t.Errorf("forward(80, %q): want an error", bad)
		}
	}
}
