package installer_test

import (
	"strings"
	"testing"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/testenv"
)

// The supported range lives in installer/support.go; the local test cluster builds its two ends.
func TestSupportedRangeMatchesTestenv(t *testing.T) {
	if got := testenv.MinSupported(); got != installer.OldestKubernetesMinor {
		t.Errorf("testenv.Oldest is 1.%d, installer.OldestKubernetesMinor is %d: keep them equal", got, installer.OldestKubernetesMinor)
	}
	if got := testenv.MaxSupported(); got != installer.NewestKubernetesMinor {
		t.Errorf("testenv.Newest is 1.%d, installer.NewestKubernetesMinor is %d: keep them equal", got, installer.NewestKubernetesMinor)
	}
}

func TestKubernetesSupport(t *testing.T) {
	tests := []struct {
		version string
		want    installer.Support
		inMsg   []string
	}{
		{"v1.37.1", installer.Supported, []string{"v1.37.1", "1.33 to 1.37"}},
		{"v1.33.0", installer.Supported, nil},
		{"v1.35.2-eks-abc", installer.Supported, nil},
		{"v1.32.9", installer.TooOld, []string{"v1.32.9", "older than 1.33", "1.33 to 1.37"}},
		{"v1.30.0", installer.TooOld, nil},
		{"v1.38.0", installer.Untested, []string{"v1.38.0", "newer than 1.37", "1.33 to 1.37"}},
		{"v2.0.0", installer.Untested, nil},
		{"1.34+", installer.Supported, nil},
	}
	for _, tc := range tests {
		got, msg, err := installer.KubernetesSupport(tc.version)
		if err != nil {
			t.Errorf("%s: %v", tc.version, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: support %v, want %v (%s)", tc.version, got, tc.want, msg)
		}
		for _, w := range tc.inMsg {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q lacks %q", tc.version, msg, w)
			}
		}
	}
	for _, bad := range []string{"", "v1", "latest", "vx.y.z"} {
		if _, _, err := installer.KubernetesSupport(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestSkewWarnings(t *testing.T) {
	planes := []installer.ControlPlane{
		{Revision: "default", Namespace: "istio-system", Version: "1.30.2"},
		{Revision: "old", Namespace: "istio-system", Version: "1.27.0"},
		{Revision: "dev", Namespace: "istio-system", Version: "latest"},
		{Revision: "next", Namespace: "istio-system", Version: "1.31.0"},
	}
	got := installer.SkewWarnings("1.30.0", planes)
	if len(got) != 1 || !strings.Contains(got[0], "1.27.0") || !strings.Contains(got[0], "revision old") || !strings.Contains(got[0], "meshctl 1.27") {
		t.Errorf("warnings %q, want one about revision old (1.27.0)", got)
	}
	if got := installer.SkewWarnings("0.0.0-dev", []installer.ControlPlane{{Version: "2.1.0"}}); len(got) != 1 {
		t.Errorf("major difference: %q", got)
	}
	if got := installer.SkewWarnings("dev", planes); got != nil {
		t.Errorf("unparsable client version: %q", got)
	}
}

func FuzzParseMinor(f *testing.F) {
	for _, s := range []string{"v1.37.1", "1.33", "1.34+", "v2.0.0-rc.1", "", "v", "1..2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		major, minor, err := installer.ParseMinor(s)
		if err == nil && (major < 0 || minor < 0) {
			t.Errorf("%q: negative version %d.%d", s, major, minor)
		}
	})
}
