package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// cniConfig is the pods' network: a bridge with the host as gateway for the pod and service ranges
// only (no default route: a pod has no way out but to other pods, the services and the host), no
// masquerade, hairpin so a pod reaches itself through its Service, and host-local addresses from
// nodeSubnet kept in the node's folder. portmap serves hostPort without SNAT.
func cniConfig(l nodeLayout) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "meshtest",
		"plugins": []any{
			map[string]any{
				"type":             "bridge",
				"bridge":           nodeBridge,
				"isGateway":        true,
				"isDefaultGateway": false,
				"ipMasq":           false,
				"hairpinMode":      true,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": l.cniIPAM(),
					"ranges": []any{[]any{map[string]any{
						"subnet": nodeSubnet, "gateway": nodeIP, "rangeStart": "10.244.200.10",
					}}},
					"routes": []any{map[string]any{"dst": podRange}, map[string]any{"dst": serviceRange}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]any{"portMappings": true}, "snat": false},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

func writeCNIConfig(l nodeLayout) error {
	data, err := cniConfig(l)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(l.cniConfDir(), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.cniConfDir(), "10-meshtest.conflist"), data, 0o644)
}
