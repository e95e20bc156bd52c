package xdsserver

import (
	"encoding/json"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

// Whatever node a stream presents, parseNode answers a proxy or an error, never a panic, and an
// accepted node's id reads back as sent.
func FuzzParseNode(f *testing.F) {
	f.Add("sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local", `{"ISTIO_VERSION":"1.31.1","LABELS":{"app":"a"},"INSTANCE_IPS":"10.0.0.1"}`)
	f.Add("router~::1~gw.istio-system~istio-system.svc.cluster.local", `{"ENVOY_STATUS_PORT":"15021","POD_PORTS":"[{\"containerPort\":80}]"}`)
	f.Add("sidecar~x~~", `{"INSTANCE_IPS":"nope"}`)
	f.Add("", `null`)
	f.Fuzz(func(t *testing.T, id, meta string) {
		var m map[string]any
		node := &core.Node{Id: id}
		if json.Unmarshal([]byte(meta), &m) == nil {
			if s, err := structpb.NewStruct(m); err == nil {
				node.Metadata = s
			}
		}
		p, err := parseNode(node)
		if err != nil {
			return
		}
		if p.ID.String() != id {
			t.Errorf("id %q reads back as %q", id, p.ID.String())
		}
	})
}
