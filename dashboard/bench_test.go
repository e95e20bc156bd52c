package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meshctl/meshctl/internal/testenv"
)

// BenchmarkForward measures what a dashboard user feels: an HTTP request and a 256 KiB response through the
// local port, the API server's port-forward (SPDY over WebSocket) and KWOK, on a fresh connection each time
// as a browser loading a page does. It reports MB/s and requests per second.
func BenchmarkForward(b *testing.B) {
	env := testenv.Get(b)
	ns := env.Namespace(b)
	payload := strings.Repeat("m", 256<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, payload)
	}))
	b.Cleanup(srv.Close)
	pod := readyPod(b, env, ns, podSpec("bench", map[string]string{"app": "bench"}, 20001))
	env.PortForward(b, ns, pod.Name, 20001, strings.TrimPrefix(srv.URL, "http://"))

	fw := &Forwarder{Config: env.Config(), Client: env.Client()}
	s, err := fw.Start(b.Context(), pod, ForwardOptions{RemotePort: 20001})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
	url := s.URL("/")

	b.SetBytes(int64(len(payload)))
	start := time.Now()
	for b.Loop() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != int64(len(payload)) {
			b.Fatalf("read %d of %d bytes: %v", n, len(payload), err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
