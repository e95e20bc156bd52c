package xds

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	filelogv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/proxy/ir"
	proxylistener "github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
	"github.com/meshctl/meshctl/xdscontract"
)

func fileLog(t *testing.T, path, format string) *accesslogv3.AccessLog {
	f := &filelogv3.FileAccessLog{Path: path}
	if format != "" {
		f.AccessLogFormat = &filelogv3.FileAccessLog_LogFormat{LogFormat: &corev3.SubstitutionFormatString{
			Format: &corev3.SubstitutionFormatString_TextFormatSource{TextFormatSource: &corev3.DataSource{
				Specifier: &corev3.DataSource_InlineString{InlineString: format}}}}}
	}
	return &accesslogv3.AccessLog{Name: "envoy.access_loggers.file", ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: anyOf(t, f)}}
}

// withAccessLogs is the sniffed listener with an access log on both its chains, as meshd sends it
// when MeshConfig accessLogFile is set.
func withAccessLogs(t *testing.T, log *accesslogv3.AccessLog) *listenerv3.Listener {
	var l listenerv3.Listener
	if err := protojson.Unmarshal([]byte(sniffedListener), &l); err != nil {
		t.Fatal(err)
	}
	var hcm hcmv3.HttpConnectionManager
	if err := l.FilterChains[0].Filters[0].GetTypedConfig().UnmarshalTo(&hcm); err != nil {
		t.Fatal(err)
	}
	hcm.AccessLog = []*accesslogv3.AccessLog{log}
	l.FilterChains[0].Filters[0].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: anyOf(t, &hcm)}
	var tp tcpv3.TcpProxy
	if err := l.FilterChains[1].Filters[0].GetTypedConfig().UnmarshalTo(&tp); err != nil {
		t.Fatal(err)
	}
	tp.AccessLog = []*accesslogv3.AccessLog{log}
	l.FilterChains[1].Filters[0].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: anyOf(t, &tp)}
	return &l
}

// TestAccessLogFromXDS: the access_log of the HTTP connection manager and the TCP proxy write each
// request and connection, in Istio's default format, to the file they name, instead of the proxy's
// own access log.
func TestAccessLogFromXDS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l := withAccessLogs(t, fileLog(t, path, meshapi.AccessLogFormat))
	if err := xdscontract.Check(l); err != nil {
		t.Fatalf("the contract refuses it: %v", err)
	}
	il, err := listener(l)
	if err != nil {
		t.Fatal(err)
	}
	b := proxytest.NewBackend(t, "http")
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("http", b), &ir.Cluster{Name: "tcp", Type: ir.ClusterStatic, Endpoints: []ir.Endpoint{{Address: tcpEcho(t)}}}),
		Listeners: []*ir.Listener{il},
	}, proxylistener.Options{SniffTimeout: 5 * time.Second}) // every client here speaks first: the timeout only guards a stalled one
	if r := p.Get(t, "sniffed", "svc", "/logged", "user-agent", "probe/1"); r.Status != 200 {
		t.Fatalf("HTTP: %d", r.Status)
	}
	c, err := net.Dial("tcp", p.Addr(t, "sniffed"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte("\x00tcp"))
	_ = c.(*net.TCPConn).CloseWrite()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.ReadAll(c)
	c.Close()

	var lines []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if lines = strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) >= 2 {
			break
		}
	}
	if len(lines) != 2 {
		t.Fatalf("access log file has %d lines, want 2:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	// The HTTP line is written once the response is out, so on a loaded machine the TCP
	// connection's line can come first.
	if strings.Contains(lines[0], `"- - -"`) {
		lines[0], lines[1] = lines[1], lines[0]
	}
	if !strings.Contains(lines[0], `"GET /logged HTTP/1.1" 200`) || !strings.Contains(lines[0], `"probe/1"`) || !strings.Contains(lines[0], " http ") {
		t.Errorf("HTTP line: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"- - -" 0`) || !strings.Contains(lines[1], " tcp ") {
		t.Errorf("TCP line: %s", lines[1])
	}
	if got := p.Log.Lines(); len(got) != 0 {
		t.Errorf("the proxy's own access log got lines the configuration sent elsewhere: %q", got)
	}
}

// TestAccessLogRefusals: other loggers, other formats and files that cannot be opened are refused.
func TestAccessLogRefusals(t *testing.T) {
	cases := []struct {
		name string
		log  *accesslogv3.AccessLog
		want string
	}{
		{"no format", fileLog(t, "/dev/stdout", ""), "log_format: only Istio's default text format"},
		{"another format", fileLog(t, "/dev/stdout", "%START_TIME% %RESPONSE_CODE%\n"), "log_format: only Istio's default text format"},
		{"no path", fileLog(t, "", meshapi.AccessLogFormat), "path: required"},
		{"another logger", &accesslogv3.AccessLog{Name: "envoy.access_loggers.stdout"}, `logger "envoy.access_loggers.stdout"`},
	}
	for _, c := range cases {
		if _, err := listener(withAccessLogs(t, c.log)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// A file the proxy cannot open: the configuration is refused, the last good one kept.
	il, err := listener(withAccessLogs(t, fileLog(t, filepath.Join(t.TempDir(), "missing", "dir", "access.log"), meshapi.AccessLogFormat)))
	if err != nil {
		t.Fatal(err)
	}
	m := proxylistener.New(t.Context(), proxylistener.Options{})
	defer m.Close()
	cfg := &ir.Config{Clusters: map[string]*ir.Cluster{"http": {Name: "http", Type: ir.ClusterStatic}, "tcp": {Name: "tcp", Type: ir.ClusterStatic}}, Listeners: []*ir.Listener{il}}
	if err := m.Apply(cfg); err == nil || !strings.Contains(err.Error(), "access log") {
		t.Errorf("unopenable file: %v", err)
	}
}
