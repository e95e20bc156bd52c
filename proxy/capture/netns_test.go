package capture_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshctl/meshctl/internal/netns"
	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/proxy/capture"
	"github.com/meshctl/meshctl/proxy/listener"
)

// The test's addresses are documentation ranges inside namespaces it creates; their default routes
// blackhole, so nothing reaches the machine's networks.
const (
	podIP   = "192.0.2.1"
	peerIP  = "192.0.2.2"
	peerIP2 = "192.0.2.3"
	podIP6  = "2001:db8::1"
	peerIP6 = "2001:db8::2"
)

// dialEnv makes the test binary a dialer (TestMain): it connects to the address, prints the line the
// server answers, and exits. The uid test runs it as the proxy's user.
const dialEnv = "CAPTURE_TEST_DIAL"

func TestMain(m *testing.M) {
	if addr := os.Getenv(dialEnv); addr != "" {
		line, err := dial(addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Print(line)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// dial connects and returns the one line the server writes: which server it reached, and what it saw.
func dial(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read from %s: %w", addr, err)
	}
	return strings.TrimSpace(line), nil
}

// serve answers every connection with one line: the server's name and, for the capture ports, the
// original destination the kernel recorded.
func serve(t *testing.T, ln net.Listener, name string, origDst bool) {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			msg := name + " " + c.LocalAddr().String()
			if origDst {
				dst, err := listener.OriginalDst(c.(*net.TCPConn))
				if err != nil {
					msg = name + " error " + err.Error()
				} else {
					msg = name + " " + dst.String()
				}
			}
			fmt.Fprintln(c, msg)
			c.Close()
		}
	}()
}

type topology struct {
	pod, peer *netns.NS
}

// newTopology: a pod namespace with the proxy's two capture listeners, an application on 8080 and one
// on localhost:9000; a peer namespace with servers on 80, 22 and 9090 at two addresses.
func newTopology(t *testing.T) topology {
	pod := netns.New(t, "pod")
	peer := netns.New(t, "peer")
	netns.Link(t, pod, "eth0", []string{podIP + "/24", podIP6 + "/64"},
		peer, "eth0", []string{peerIP + "/24", peerIP2 + "/24", peerIP6 + "/64"})
	listen := func(ns *netns.NS, addr, name string, origDst bool) {
		err := ns.Run(func() error {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			serve(t, ln, name, origDst)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	listen(pod, ":"+meshapi.ProxyOutboundPort.String(), "outbound", true)
	listen(pod, ":"+meshapi.ProxyInboundPort.String(), "inbound", true)
	listen(pod, ":8080", "app", false)
	listen(pod, "127.0.0.1:9000", "local", false)
	for _, port := range []string{"80", "22", "9090"} {
		listen(peer, ":"+port, "peer", false)
	}
	return topology{pod, peer}
}

func (tp topology) apply(t *testing.T, o capture.Options) {
	t.Helper()
	cfg, err := o.Config()
	if err != nil {
		t.Fatal(err)
	}
	withConn(t, tp.pod, func(fd int) error {
		c, err := capture.Conn(fd)
		if err != nil {
			return err
		}
		return capture.Apply(c, capture.Rules(cfg))
	})
}

func withConn(t *testing.T, ns *netns.NS, fn func(fd int) error) {
	t.Helper()
	fd, err := ns.Fd()
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := fn(fd); err != nil {
		t.Fatal(err)
	}
}

// from dials addr from inside ns, as root or (uid > 0) as that user in a child process.
func from(t *testing.T, ns *netns.NS, uid int, addr string) string {
	t.Helper()
	if uid == 0 {
		var line string
		err := ns.Run(func() error {
			var err error
			line, err = dial(addr)
			return err
		})
		if err != nil {
			return "error: " + err.Error()
		}
		return line
	}
	cmd := exec.Command(netns.SharedExecutable(t), "-test.run=^$")
	cmd.Env = append(os.Environ(), dialEnv+"="+addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := ns.Start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		return "error: " + strings.TrimSpace(errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// templateOptions are the flags the injection template passes by default.
func templateOptions() capture.Options {
	return capture.Options{
		OutboundPort: "15001", InboundPort: "15006", ProxyUID: "1337", Mode: "REDIRECT",
		IncludeOutboundCIDRs: "*", ExcludeOutboundCIDRs: "", IncludeInboundPorts: "*",
		ExcludeInboundPorts: meshapi.ProxyOwnInboundPorts(meshapi.ProxyStatusPort.String()),
	}
}

func TestCaptureInNetworkNamespaces(t *testing.T) {
	tp := newTopology(t)
	const (
		root  = 0
		proxy = meshapi.ProxyUID
	)
	type probe struct {
		name     string
		fromPeer bool
		uid      int
		addr     string
		want     string
	}
	cases := []struct {
		name   string
		opts   func(*capture.Options)
		probes []probe
	}{{
		name: "template defaults",
		probes: []probe{
			{"outbound TCP goes to 15001 with its original destination", false, root, peerIP + ":80", "outbound " + peerIP + ":80"},
			{"outbound IPv6 too", false, root, "[" + peerIP6 + "]:80", "outbound [" + peerIP6 + "]:80"},
			{"the proxy's own connections are not captured", false, proxy, peerIP + ":80", "peer " + peerIP + ":80"},
			{"localhost is not captured", false, root, "127.0.0.1:9000", "local 127.0.0.1:9000"},
			{"an application calling its own pod IP is not captured", false, root, podIP + ":8080", "app " + podIP + ":8080"},
			{"the proxy calling the pod IP goes through the inbound side", false, proxy, podIP + ":8080", "inbound " + podIP + ":8080"},
			{"inbound TCP goes to 15006 with its original destination", true, root, podIP + ":8080", "inbound " + podIP + ":8080"},
			{"inbound IPv6 too", true, root, "[" + podIP6 + "]:8080", "inbound [" + podIP6 + "]:8080"},
		},
	}, {
		name: "excluded outbound ports and CIDRs",
		opts: func(o *capture.Options) {
			o.ExcludeOutboundPorts = "22"
			o.ExcludeOutboundCIDRs = peerIP2 + "/32"
		},
		probes: []probe{
			{"an excluded port", false, root, peerIP + ":22", "peer " + peerIP + ":22"},
			{"an excluded CIDR", false, root, peerIP2 + ":80", "peer " + peerIP2 + ":80"},
			{"other traffic is still captured", false, root, peerIP + ":9090", "outbound " + peerIP + ":9090"},
		},
	}, {
		name: "included outbound CIDRs and ports only",
		opts: func(o *capture.Options) {
			o.IncludeOutboundCIDRs = peerIP2 + "/32"
			o.IncludeOutboundPorts = "9090"
		},
		probes: []probe{
			{"an included CIDR", false, root, peerIP2 + ":80", "outbound " + peerIP2 + ":80"},
			{"an included port, whatever the address", false, root, peerIP + ":9090", "outbound " + peerIP + ":9090"},
			{"anything else is not captured", false, root, peerIP + ":80", "peer " + peerIP + ":80"},
		},
	}, {
		name: "inbound: excluded ports",
		opts: func(o *capture.Options) { o.ExcludeInboundPorts = "8080" },
		probes: []probe{
			{"an excluded inbound port", true, root, podIP + ":8080", "app " + podIP + ":8080"},
		},
	}, {
		name: "inbound: included ports only, no outbound capture",
		opts: func(o *capture.Options) {
			o.IncludeInboundPorts = "9999"
			o.IncludeOutboundCIDRs = ""
		},
		probes: []probe{
			{"a port not included", true, root, podIP + ":8080", "app " + podIP + ":8080"},
			{"an included port", true, root, podIP + ":9999", "inbound " + podIP + ":9999"},
			{"outbound is not captured", false, root, peerIP + ":80", "peer " + peerIP + ":80"},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := templateOptions()
			if tc.opts != nil {
				tc.opts(&o)
			}
			tp.apply(t, o) // each case replaces the previous table: applying is a replacement
			for _, p := range tc.probes {
				ns := tp.pod
				if p.fromPeer {
					ns = tp.peer
				}
				if got := from(t, ns, p.uid, p.addr); got != p.want {
					t.Errorf("%s: dial %s: got %q, want %q", p.name, p.addr, got, p.want)
				}
			}
		})
	}

	t.Run("cleanup leaves the namespace uncaptured and its ruleset empty", func(t *testing.T) {
		tp.apply(t, templateOptions())
		withConn(t, tp.pod, func(fd int) error {
			c, err := capture.Conn(fd)
			if err != nil {
				return err
			}
			if err := capture.Cleanup(c); err != nil {
				return err
			}
			return capture.Cleanup(c) // twice: removing nothing is not an error
		})
		if got := from(t, tp.pod, root, peerIP+":80"); got != "peer "+peerIP+":80" {
			t.Errorf("after cleanup: got %q", got)
		}
		withConn(t, tp.pod, func(fd int) error {
			c, err := capture.Conn(fd)
			if err != nil {
				return err
			}
			tables, err := c.ListTables()
			if err != nil {
				return err
			}
			if len(tables) != 0 {
				t.Errorf("after cleanup the namespace still has %d table(s), first %q", len(tables), tables[0].Name)
			}
			return nil
		})
	})
}

// TestDryRunTextIsNftsListing: what --dry-run prints is what nft lists once the rules are applied, so
// a user can read the dry run as the real thing (and the netlink encoding says what the text says).
func TestDryRunTextIsNftsListing(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft(8) to list the rules")
	}
	pod := netns.New(t, "nft")
	for name, o := range goldenOptions() {
		t.Run(name, func(t *testing.T) {
			cfg, err := o.Config()
			if err != nil {
				t.Fatal(err)
			}
			rules := capture.Rules(cfg)
			withConn(t, pod, func(fd int) error {
				c, err := capture.Conn(fd)
				if err != nil {
					return err
				}
				return capture.Apply(c, rules)
			})
			out, err := exec.Command("ip", "netns", "exec", pod.Name, "nft", "list", "table", "inet", capture.TableName).CombinedOutput()
			if err != nil {
				t.Fatalf("nft list: %v: %s", err, out)
			}
			if got, want := string(out), rules.Text(); got != want {
				t.Errorf("nft lists:\n%s\ndry run prints:\n%s", got, want)
			}
		})
	}
}
