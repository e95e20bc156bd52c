package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Prober is one of the application's probes that kube-inject rewrote to the status port, as
// ISTIO_KUBE_APP_PROBERS gives it.
type Prober struct {
	HTTPGet *struct {
		Path        string          `json:"path"`
		Port        json.RawMessage `json:"port"`
		Host        string          `json:"host"`
		Scheme      string          `json:"scheme"`
		HTTPHeaders []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"httpHeaders"`
	} `json:"httpGet"`
	TCPSocket *struct {
		Port json.RawMessage `json:"port"`
		Host string          `json:"host"`
	} `json:"tcpSocket"`
	TimeoutSeconds int `json:"timeoutSeconds"`
}

// ParseProbers reads ISTIO_KUBE_APP_PROBERS: a JSON object from path to probe.
func ParseProbers(s string) (map[string]*Prober, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var m map[string]*Prober
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("ISTIO_KUBE_APP_PROBERS: %w", err)
	}
	for path, p := range m {
		if p == nil || (p.HTTPGet == nil && p.TCPSocket == nil) {
			return nil, fmt.Errorf("ISTIO_KUBE_APP_PROBERS: %s: want httpGet or tcpSocket", path)
		}
		raw := p.TCPSocket
		port := json.RawMessage(nil)
		if p.HTTPGet != nil {
			port = p.HTTPGet.Port
		} else if raw != nil {
			port = raw.Port
		}
		if _, err := probePort(port); err != nil {
			return nil, fmt.Errorf("ISTIO_KUBE_APP_PROBERS: %s: %w", path, err)
		}
	}
	return m, nil
}

func probePort(raw json.RawMessage) (int, error) {
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("port %s: want a number (kube-inject resolves named ports)", raw)
	}
	return n, nil
}

// appHealth runs the probe registered for the path against the application on localhost, and
// answers with its outcome.
func (s *Server) appHealth(w http.ResponseWriter, r *http.Request) {
	p := s.Probers[r.URL.Path]
	if p == nil {
		http.Error(w, "no probe registered for "+r.URL.Path, http.StatusNotFound)
		return
	}
	timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	if p.TCPSocket != nil {
		port, _ := probePort(p.TCPSocket.Port)
		host := p.TCPSocket.Host
		if host == "" {
			host = "localhost"
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		c.Close()
		w.WriteHeader(http.StatusOK)
		return
	}
	g := p.HTTPGet
	port, _ := probePort(g.Port)
	host := g.Host
	if host == "" {
		host = "localhost"
	}
	scheme := strings.ToLower(g.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	path := g.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, strconv.Itoa(port))+path, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, h := range g.HTTPHeaders {
		if strings.EqualFold(h.Name, "host") {
			req.Host = h.Value
		} else {
			req.Header.Add(h.Name, h.Value)
		}
	}
	req.Header.Set("User-Agent", "kube-probe/mesh-proxy")
	resp, err := probeClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
	// The kubelet counts 200-399 as success; pass the status on as it is.
	w.WriteHeader(resp.StatusCode)
}

// probeClient is the kubelet's behaviour: no keep-alive, no redirects followed beyond the status.
var probeClient = &http.Client{
	Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// AppMetrics is the application's Prometheus endpoint (ISTIO_PROMETHEUS_ANNOTATIONS).
type AppMetrics struct {
	URL string
}

// ParseAppMetrics reads ISTIO_PROMETHEUS_ANNOTATIONS ({"scrape":"true","path":"/metrics","port":"8080"}).
func ParseAppMetrics(s string) (*AppMetrics, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var a struct{ Scrape, Path, Port string }
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, fmt.Errorf("ISTIO_PROMETHEUS_ANNOTATIONS: %w", err)
	}
	if a.Scrape != "true" {
		return nil, nil
	}
	if _, err := strconv.Atoi(a.Port); err != nil {
		return nil, fmt.Errorf("ISTIO_PROMETHEUS_ANNOTATIONS: port %q: want a number", a.Port)
	}
	if a.Path == "" {
		a.Path = "/metrics"
	}
	return &AppMetrics{URL: "http://localhost:" + a.Port + a.Path}, nil
}

// mergedMetrics is the proxy's metrics followed by the application's, as Istio's agent merges
// them so one scrape of the pod gets both.
func (s *Server) mergedMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	rec := &bufferWriter{h: http.Header{}}
	promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{}).ServeHTTP(rec, requestForText(r))
	w.Write(rec.buf)
	if s.AppMetrics == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.AppMetrics.URL, nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := probeClient.Do(req)
	if err != nil {
		return // the proxy's metrics still count
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		io.WriteString(w, "\n")
		_, _ = io.Copy(w, resp.Body)
	}
}

// requestForText asks promhttp for the text format whatever the scraper accepts: the application's
// metrics are appended as text.
func requestForText(r *http.Request) *http.Request {
	c := r.Clone(r.Context())
	c.Header.Set("Accept", "text/plain")
	c.Header.Del("Accept-Encoding")
	return c
}

type bufferWriter struct {
	h   http.Header
	buf []byte
}

func (b *bufferWriter) Header() http.Header { return b.h }
func (b *bufferWriter) WriteHeader(int)     {}
func (b *bufferWriter) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	return len(p), nil
}
