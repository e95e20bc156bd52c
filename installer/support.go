package installer

import (
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/util/version"
)

// The Kubernetes releases meshctl supports, kept here and nowhere else: precheck reads them, the local
// test cluster's version list (internal/testenv) must agree (support_test.go checks it).
const (
	// OldestKubernetesMinor is the oldest supported Kubernetes release, 1.<minor>. Older is an error.
	OldestKubernetesMinor = 33
	// NewestKubernetesMinor is the newest Kubernetes release meshctl is tested on. Newer is a warning.
	NewestKubernetesMinor = 37
)

// SupportedKubernetes describes the range for messages: "1.33 to 1.37".
func SupportedKubernetes() string {
	return fmt.Sprintf("1.%d to 1.%d", OldestKubernetesMinor, NewestKubernetesMinor)
}

// Support is how a Kubernetes version relates to the supported range.
type Support int

// Outcomes of KubernetesSupport.
const (
	Supported Support = iota
	TooOld
	Untested // newer than the newest tested release; it probably works
)

// KubernetesSupport places a server's version (gitVersion such as "v1.37.1" or "v1.33.2-eks-1234") in the
// supported range and explains the outcome.
func KubernetesSupport(gitVersion string) (Support, string, error) {
	major, minor, err := ParseMinor(gitVersion)
	if err != nil {
		return 0, "", err
	}
	switch {
	case major < 1 || major == 1 && minor < OldestKubernetesMinor:
		return TooOld, fmt.Sprintf("Kubernetes %s is older than 1.%d, the oldest release meshctl supports (supported: %s)",
			gitVersion, OldestKubernetesMinor, SupportedKubernetes()), nil
	case major > 1 || minor > NewestKubernetesMinor:
		return Untested, fmt.Sprintf("Kubernetes %s is newer than 1.%d, the newest release meshctl is tested on (supported: %s); it will probably work",
			gitVersion, NewestKubernetesMinor, SupportedKubernetes()), nil
	}
	return Supported, fmt.Sprintf("Kubernetes %s is in the supported range %s", gitVersion, SupportedKubernetes()), nil
}

// ParseMinor reads the major and minor numbers of a version such as "v1.37.1", "1.37", "1.37.0-rc.1",
// "1.33.2+k3s1" or "v1.33.2-eks-1234": apimachinery's generic versions, whatever follows MAJOR.MINOR.
func ParseMinor(v string) (major, minor int, err error) {
	parsed, err := version.ParseGeneric(v)
	if err != nil {
		return 0, 0, fmt.Errorf("version %q: want MAJOR.MINOR[.PATCH]: %w", v, err)
	}
	if parsed.Major() > math.MaxInt32 || parsed.Minor() > math.MaxInt32 {
		return 0, 0, fmt.Errorf("version %q: out of range", v)
	}
	return int(parsed.Major()), int(parsed.Minor()), nil
}
