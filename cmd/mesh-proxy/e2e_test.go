package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshctl/meshctl/internal/benchproxy"
	"github.com/meshctl/meshctl/internal/netns"
)

// buildBinaries compiles mesh-proxy and mesh-init as the image has them.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := netns.SharedDir(t)
	for _, cmd := range []string{"mesh-proxy", "mesh-init"} {
		b := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "../"+cmd)
		b.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := b.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v: %s", cmd, err, out)
		}
	}
	return dir
}

// TestSidecarPairInNetworkNamespaces: a client pod and a server pod, each with mesh-init's capture
// and a mesh-proxy process as the proxy's user; the client calls the server's address, and the call
// crosses both proxies.
func TestSidecarPairInNetworkNamespaces(t *testing.T) {
	netns.Require(t)
	bin := buildBinaries(t)
	tp := benchproxy.NewTopology(t)
	// The server application, in the server's namespace.
	err := tp.Server.Run(func() error {
		ln, err := net.Listen("tcp", ":"+benchproxy.ServerPort)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "app saw %s from %s", r.URL.Path, strings.Split(r.RemoteAddr, ":")[0])
		})}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tp.StartMeshProxyPair(bin, netns.SharedDir(t), true)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := tp.Client.Run(func() error {
			var err error
			c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}}}
	resp, err := client.Get("http://" + benchproxy.ServerIP + ":" + benchproxy.ServerPort + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The application sees the server proxy's passthrough address: the call came through it.
	if resp.StatusCode != 200 || string(body) != "app saw /hello from 127.0.0.6" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	waitLine := func(p *benchproxy.Proc, want string) string {
		for i := 0; i < 3000; i++ { // 30 s: only a guard against a line that never comes
			for _, l := range p.Output.Lines() {
				if strings.Contains(l, want) {
					return l
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no access log line with %q in\n%s", want, p.Output.String())
		return ""
	}
	out := waitLine(pair.Client, "outbound|8080||server.bench.svc.cluster.local")
	in := waitLine(pair.Server, "inbound|8080||")
	for _, l := range []string{out, in} {
		if !strings.Contains(l, `"GET /hello HTTP/1.1" 200 - via_upstream`) {
			t.Errorf("access log line %q", l)
		}
	}
	if !strings.Contains(in, `"`+benchproxy.ServerIP+`:8080" inbound|8080||`) {
		t.Errorf("the inbound proxy delivered elsewhere: %q", in)
	}

	// SIGTERM: the proxy drains and exits 0.
	if err := pair.Server.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := pair.Server.Cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v\n%s", err, pair.Server.Output.String())
	}
	tp.StopMeshProxyPair(bin, pair)
}
