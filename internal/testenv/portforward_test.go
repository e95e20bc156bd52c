package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	streamhttp "k8s.io/streaming/pkg/httpstream"
)

func TestPortForwardReachesLocalServer(t *testing.T) {
	env := Get(t)
	ns := env.Namespace(t)
	page := "hello from " + ns
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, page) }))
	t.Cleanup(srv.Close)

	pods := env.Client().CoreV1().Pods(ns)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "dashboard"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "dashboard", Image: "registry.invalid/dashboard:1",
			Ports: []corev1.ContainerPort{{ContainerPort: 3000}},
		}}},
	}
	if _, err := pods.Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	Poll(t, "pod Running", func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, err
	})
	env.PortForward(t, ns, pod.Name, 3000, srv.Listener.Addr().String())

	url := env.Client().CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod.Name).SubResource("portforward").URL()
	transport, upgrader, err := spdy.RoundTripperFor(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	dialers := map[string]func() (streamhttp.Dialer, error){
		"spdy": func() (streamhttp.Dialer, error) {
			return spdy.NewDialerForStreaming(upgrader, &http.Client{Transport: transport}, http.MethodPost, url), nil
		},
		// What kubectl uses by default since 1.31.
		"websocket": func() (streamhttp.Dialer, error) {
			return portforward.NewSPDYOverWebsocketDialerForStreaming(url, env.Config())
		},
	}
	for name, newDialer := range dialers {
		t.Run(name, func(t *testing.T) {
			dialer, err := newDialer()
			if err != nil {
				t.Fatal(err)
			}
			got := fetchThroughPortForward(t, dialer, 3000)
			if got != page {
				t.Errorf("through port-forward got %q, want %q", got, page)
			}
		})
	}
}

// fetchThroughPortForward forwards a free local port to podPort and GETs / through it.
func fetchThroughPortForward(t *testing.T, dialer streamhttp.Dialer, podPort int) string {
	t.Helper()
	stop, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddressesForStreaming(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", podPort)}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- fw.ForwardPorts() }()
	defer func() {
		close(stop)
		<-errc
	}()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatalf("port-forward: %v", err)
	}
	ports, err := fw.GetPorts()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", ports[0].Local))
	if err != nil {
		t.Fatalf("GET through port-forward: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
