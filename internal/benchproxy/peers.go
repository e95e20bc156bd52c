package benchproxy

import (
	"fmt"
	"os"
	"path/filepath"
)

// A peer pair: the client-side proxy listens on the client's loopback (PeerPort) and forwards to the
// server-side proxy on the server's address (PeerPort2), which forwards to the application on the
// server's loopback. One worker each, connection reuse on, no access log, as the sidecars run.

// PeerPair is two processes of one peer proxy.
type PeerPair struct {
	Name           string
	Client, Server *Proc
}

type peerConfig struct {
	name   string
	binary string
	// config returns the configuration file's content for a proxy listening on listen and
	// forwarding to upstream; args are the command line with the file's path.
	config func(dir, listen, upstream string) string
	args   func(path string) []string
	env    []string
}

func nginxConfig(dir, listen, upstream string) string {
	return fmt.Sprintf(`worker_processes 1;
daemon off;
master_process on;
user root;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  upstream u { server %[3]s; keepalive 64; }
  server {
    listen %[2]s;
    location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`, dir, listen, upstream)
}

func haproxyConfig(_, listen, upstream string) string {
	return fmt.Sprintf(`global
  nbthread 1
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend f
  bind %s
  default_backend b
backend b
  server s1 %s
`, listen, upstream)
}

func caddyConfig(_, listen, upstream string) string {
	return fmt.Sprintf(`{
	admin off
	auto_https off
	persist_config off
}
http://%s {
	reverse_proxy %s
}
`, listen, upstream)
}

func peers(tools string) []peerConfig {
	return []peerConfig{
		{name: "nginx", binary: "nginx", config: nginxConfig, args: func(p string) []string { return []string{"-c", p, "-e", "stderr"} }},
		{name: "haproxy", binary: "haproxy", config: haproxyConfig, args: func(p string) []string { return []string{"-f", p, "-db"} }},
		{name: "caddy", binary: filepath.Join(tools, "caddy"), config: caddyConfig,
			args: func(p string) []string { return []string{"run", "--config", p, "--adapter", "caddyfile"} }, env: []string{"GOMAXPROCS=1"}},
	}
}

// StartPeerPair starts the peer's two proxies.
func (tp *Topology) StartPeerPair(p peerConfig, dir string) (*PeerPair, error) {
	pair := &PeerPair{Name: p.name}
	sides := []struct {
		side, listen, upstream string
		proc                   **Proc
	}{
		{"server", ServerIP + ":" + PeerPort2, "127.0.0.1:" + ServerPort, &pair.Server},
		{"client", "127.0.0.1:" + PeerPort, ServerIP + ":" + PeerPort2, &pair.Client},
	}
	for _, s := range sides {
		d := filepath.Join(dir, p.name+"-"+s.side)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		path := filepath.Join(d, "config")
		if err := os.WriteFile(path, []byte(p.config(d, s.listen, s.upstream)), 0o644); err != nil {
			return nil, err
		}
		ns := tp.Client
		if s.side == "server" {
			ns = tp.Server
		}
		env := append([]string{"HOME=" + d, "XDG_DATA_HOME=" + d, "XDG_CONFIG_HOME=" + d}, p.env...)
		proc, err := tp.Start(ns, 0, env, p.binary, p.args(path)...)
		if err != nil {
			return nil, err
		}
		*s.proc = proc
		if err := tp.WaitListening(ns, s.listen, proc); err != nil {
			return nil, fmt.Errorf("%s (%s side): %w", p.name, s.side, err)
		}
	}
	return pair, nil
}
