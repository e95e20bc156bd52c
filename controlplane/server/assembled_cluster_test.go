package server

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/security"
	"github.com/meshctl/meshctl/internal/freeaddr"
	"github.com/meshctl/meshctl/internal/testenv"
)

// TestAssembledMeshd runs meshd as cmd/meshd assembles it (model, translator, security) against
// the test API server: ready once synced and its CA serves, a proxy on ADS receives a Service
// created on the cluster, then the endpoints of its KWOK pods.
func TestAssembledMeshd(t *testing.T) {
	env := testenv.Get(t)
	meshNS, appNS := env.Namespace(t), env.Namespace(t)
	opts := DefaultOptions()
	a := freeaddr.Loopback(t, 4)
	opts.XDSAddr, opts.SecureXDSAddr, opts.MonitoringAddr, opts.ReadyAddr = a[0], a[1], a[2], a[3]
	opts.Logger = slog.New(slog.NewTextHandler(testLog{t}, nil))
	opts.Security = &security.Options{
		Namespace: meshNS, Identity: "assembled", WebhookAddr: "-", ServingIPs: []net.IP{net.ParseIP("127.0.0.1")},
		LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond,
	}
	restConfig := func() (*rest.Config, error) { return env.Config(), nil }
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() {
		runErr <- Run(ctx, opts, restConfig, NewModelBackend(model.StoreOptions{SystemNamespace: meshNS}))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-runErr:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})

	waitFor(t, 60*time.Second, "/ready 200", func() bool {
		resp, err := http.Get("http://" + opts.ReadyAddr + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	// 15012 now serves the CA's certificate: a TLS handshake that trusts nothing but proves it answers.
	conn, err := tls.Dial("tcp", opts.SecureXDSAddr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatalf("15012 handshake: %v", err)
	}
	if cn := conn.ConnectionState().PeerCertificates[0].DNSNames; !strings.Contains(strings.Join(cn, ","), "istiod."+meshNS+".svc") {
		t.Errorf("15012 certificate names %v, want istiod.%s.svc", cn, meshNS)
	}
	conn.Close()

	grpcConn, err := grpc.NewClient(opts.XDSAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer grpcConn.Close()
	node, err := loadtest.SidecarNode(0, appNS, "1.31.1")
	if err != nil {
		t.Fatal(err)
	}
	c := &loadtest.Client{Node: node}
	clientCtx, stopClient := context.WithCancel(context.Background())
	clientDone := make(chan error, 1)
	go func() { clientDone <- c.Run(clientCtx, grpcConn) }()
	defer func() { stopClient(); <-clientDone }()

	kube := env.Client()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: appNS},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	if _, err := kube.CoreV1().Services(appNS).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cluster := "outbound|80||web." + appNS + ".svc.cluster.local"
	wait := func(what string, ok func(*loadtest.Client) bool) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer wcancel()
		if err := c.Wait(wctx, ok); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	wait("cluster "+cluster, func(c *loadtest.Client) bool { _, ok := c.Resources(resource.ClusterType)[cluster]; return ok })

	for _, v := range []string{"v1", "v2"} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-" + v, Namespace: appNS, Labels: map[string]string{"app": "web", "version": v}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:" + v}}}}
		if _, err := kube.CoreV1().Pods(appNS).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	wait("both pods' endpoints", func(c *loadtest.Client) bool { return endpointCount(t, c, cluster) == 2 })

	code, body := httpGet(t, "http://"+opts.MonitoringAddr+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, "pilot_k8s_reg_events") {
		t.Errorf("/metrics: %d, no pilot_k8s_reg_events", code)
	}
	for _, path := range []string{"/debug/registryz", "/debug/endpointz"} {
		if code, body := httpGet(t, "http://"+opts.MonitoringAddr+path); code != http.StatusOK || !strings.Contains(body, "web."+appNS+".svc.cluster.local") {
			t.Errorf("%s: %d without the Service:\n%.500s", path, code, body)
		}
	}
	if code, _ := httpGet(t, "http://"+opts.MonitoringAddr+"/debug/configz"); code != http.StatusOK {
		t.Errorf("/debug/configz: %d", code)
	}
}

// endpointCount is the number of endpoints the client holds for cluster.
func endpointCount(t *testing.T, c *loadtest.Client, cluster string) int {
	raw, ok := c.Resources(resource.EndpointType)[cluster]
	if !ok {
		return -1
	}
	var cla endpointv3.ClusterLoadAssignment
	if err := proto.Unmarshal(raw, &cla); err != nil {
		t.Errorf("EDS %s: %v", cluster, err)
		return -1
	}
	n := 0
	for _, l := range cla.Endpoints {
		n += len(l.LbEndpoints)
	}
	return n
}

func waitFor(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// testLog logs through t until the test ends, then drops lines (meshd may log while stopping).
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	defer func() { _ = recover() }()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
