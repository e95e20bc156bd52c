package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"

	"github.com/meshctl/meshctl/internal/freeaddr"
)

func envOf(m map[string]string) (func(string) string, []string) {
	var environ []string
	for k, v := range m {
		environ = append(environ, k+"="+v)
	}
	return func(k string) string { return m[k] }, environ
}

func TestBadInputExitsNamingIt(t *testing.T) {
	base := map[string]string{"POD_NAME": "p", "POD_NAMESPACE": "ns"}
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{}, nil, "usage:"},
		{[]string{"proxi"}, nil, `unknown command "proxi"`},
		{[]string{"proxy"}, base, "one argument, sidecar or router"},
		{[]string{"proxy", "gateway"}, base, `proxy type "gateway": want sidecar or router`},
		{[]string{"proxy", "sidecar", "--no-such-flag"}, base, "unknown flag: --no-such-flag"},
		{[]string{"proxy", "sidecar", "--proxyLogLevel=loud"}, base, `--proxyLogLevel "loud"`},
		{[]string{"proxy", "sidecar", "--log_output_level=default"}, base, `--log_output_level "default"`},
		{[]string{"proxy", "sidecar", "--discoveryAddress=istiod"}, base, `--discoveryAddress "istiod": want host:port`},
		{[]string{"proxy", "sidecar"}, map[string]string{"POD_NAMESPACE": "ns"}, "POD_NAME and POD_NAMESPACE must be set"},
		{[]string{"proxy", "sidecar"}, map[string]string{"POD_NAME": "p", "POD_NAMESPACE": "ns", "PROXY_CONFIG": "{bad"}, "environment PROXY_CONFIG"},
		{[]string{"proxy", "sidecar"}, map[string]string{"POD_NAME": "p", "POD_NAMESPACE": "ns", "PROXY_CONFIG": `{"terminationDrainDuration":"soon"}`}, `environment PROXY_CONFIG`},
		{[]string{"proxy", "sidecar"}, map[string]string{"POD_NAME": "p", "POD_NAMESPACE": "ns", "INSTANCE_IP": "10.0.0"}, `environment INSTANCE_IP="10.0.0": not an IP address`},
		{[]string{"proxy", "sidecar"}, map[string]string{"POD_NAME": "p", "POD_NAMESPACE": "ns", "ISTIO_KUBE_APP_PROBERS": `{"/app-health/a/livez":{}}`}, "ISTIO_KUBE_APP_PROBERS: /app-health/a/livez: want httpGet or tcpSocket"},
		{[]string{"wait", "--timeoutSeconds=x"}, nil, "--timeoutSeconds"},
	}
	for _, c := range cases {
		getenv, environ := envOf(c.env)
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, getenv, environ, &out, &errOut)
		if code != exitUsage || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want %d and %q", c.args, c.env, code, errOut.String(), exitUsage, c.want)
		}
	}
}

// TestBootstrapFromTheTemplate runs the proxy with the environment and arguments the injection
// template gives it, against a control plane that records who connects.
func TestBootstrapFromTheTemplate(t *testing.T) {
	cache := cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil)
	var mu sync.Mutex
	var node *corev3.Node
	srv := serverv3.NewServer(context.Background(), cache, serverv3.CallbackFuncs{StreamRequestFunc: func(_ int64, r *discoveryv3.DiscoveryRequest) error {
		mu.Lock()
		defer mu.Unlock()
		if r.GetNode() != nil {
			node = r.GetNode()
		}
		return nil
	}})
	g := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(ln)
	defer g.Stop()
	const id = "sidecar~10.244.0.7~productpage-v1-abc.default~default.svc.cluster.local"
	snap, _ := cachev3.NewSnapshot("1", map[resourcev3.Type][]types.Resource{
		resourcev3.ClusterType:  {&clusterv3.Cluster{Name: "BlackHoleCluster", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}}},
		resourcev3.ListenerType: {},
	})
	if err := cache.SetSnapshot(context.Background(), id, snap); err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer app.Close()
	_, appPort, _ := net.SplitHostPort(app.Listener.Addr().String())
	probers, _ := json.Marshal(map[string]any{
		"/app-health/productpage/readyz": map[string]any{"httpGet": map[string]any{"path": "/ready", "port": json.Number(appPort)}, "timeoutSeconds": 3},
		"/app-health/productpage/livez":  map[string]any{"httpGet": map[string]any{"path": "/broken", "port": json.Number(appPort)}},
	})
	proxyConfig, _ := json.Marshal(map[string]any{"discoveryAddress": ln.Addr().String(), "terminationDrainDuration": "1s", "proxyMetadata": map[string]string{"ISTIO_META_MESH_ID": "cluster.local"}})
	env := map[string]string{
		"POD_NAME": "productpage-v1-abc", "POD_NAMESPACE": "default", "INSTANCE_IP": "10.244.0.7", "SERVICE_ACCOUNT": "bookinfo-productpage",
		"PROXY_CONFIG": string(proxyConfig), "ISTIO_META_CLUSTER_ID": "Kubernetes", "ISTIO_META_WORKLOAD_NAME": "productpage-v1",
		"ISTIO_META_APP_CONTAINERS": "productpage", "ISTIO_META_INTERCEPTION_MODE": "REDIRECT", "ISTIO_KUBE_APP_PROBERS": string(probers),
	}
	a := freeaddr.Loopback(t, 3)
	health, status, admin := a[0], a[1], a[2]
	args := []string{"proxy", "sidecar", "--domain", "default.svc.cluster.local", "--proxyLogLevel=warning",
		"--proxyComponentLogLevel=misc:error", "--log_output_level=default:info",
		"--healthAddress", health, "--statusAddress", status, "--adminAddress", admin, "--prometheusAddress", "-"}
	getenv, environ := envOf(env)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var errOut bytes.Buffer
	go func() { done <- run(ctx, args, getenv, environ, io.Discard, &errOut) }()

	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; get("http://"+health+"/healthz/ready") != 200; i++ {
		if i > 1000 {
			t.Fatalf("never ready: %s", errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	n := node
	mu.Unlock()
	if n.GetId() != id {
		t.Errorf("node id %q, want %q", n.GetId(), id)
	}
	md := n.GetMetadata().AsMap()
	for k, want := range map[string]string{"NAMESPACE": "default", "NAME": "productpage-v1-abc", "CLUSTER_ID": "Kubernetes",
		"WORKLOAD_NAME": "productpage-v1", "INSTANCE_IPS": "10.244.0.7", "SERVICE_ACCOUNT": "bookinfo-productpage",
		"APP_CONTAINERS": "productpage", "MESH_ID": "cluster.local", "INTERCEPTION_MODE": "REDIRECT"} {
		if md[k] != want {
			t.Errorf("node metadata %s = %v, want %q", k, md[k], want)
		}
	}
	if code := get("http://" + status + "/app-health/productpage/readyz"); code != http.StatusNoContent {
		t.Errorf("readiness probe through the status port: %d, want the application's 204", code)
	}
	if code := get("http://" + status + "/app-health/productpage/livez"); code != http.StatusServiceUnavailable {
		t.Errorf("liveness probe: %d, want the application's 503", code)
	}
	if code := get("http://" + admin + "/config_dump"); code != 200 {
		t.Errorf("config_dump: %d", code)
	}
	cancel() // SIGTERM
	if code := <-done; code != exitOK {
		t.Errorf("exit %d after the signal: %s", code, errOut.String())
	}
}
