package capture_test

import (
	"strings"
	"testing"

	"github.com/meshctl/meshctl/proxy/capture"
)

func TestOptionsErrorsNameTheFlag(t *testing.T) {
	cases := []struct {
		name string
		set  func(*capture.Options)
		want string // "" = valid
	}{
		{"template defaults", func(*capture.Options) {}, ""},
		{"empty options take istio-iptables' defaults", func(o *capture.Options) { *o = capture.Options{} }, ""},
		{"outbound port not a number", func(o *capture.Options) { o.OutboundPort = "abc" }, `-p/--envoy-port "abc": not a port`},
		{"inbound port zero", func(o *capture.Options) { o.InboundPort = "0" }, `-z/--inbound-capture-port "0": not a port`},
		{"port too large", func(o *capture.Options) { o.OutboundPort = "65536" }, `-p/--envoy-port "65536"`},
		{"uid not numeric", func(o *capture.Options) { o.ProxyUID = "istio" }, `-u/--proxy-uid "istio": "istio" is not a numeric id`},
		{"gid list with a gap", func(o *capture.Options) { o.ProxyGID = "1337,,1" }, `-g/--proxy-gid "1337,,1": "" is not a numeric id`},
		{"uid list of commas", func(o *capture.Options) { o.ProxyUID = "," }, `-u/--proxy-uid`},
		{"TPROXY not yet", func(o *capture.Options) { o.Mode = "TPROXY" }, `-m/--istio-inbound-interception-mode "TPROXY": interception mode TPROXY is not supported yet`},
		{"unknown mode", func(o *capture.Options) { o.Mode = "redirect" }, `want REDIRECT or TPROXY`},
		{"bad include CIDR", func(o *capture.Options) { o.IncludeOutboundCIDRs = "10.0.0.0/33" }, `-i/--istio-service-cidr "10.0.0.0/33": "10.0.0.0/33" is not a CIDR`},
		{"star inside a CIDR list", func(o *capture.Options) { o.IncludeOutboundCIDRs = "10.0.0.0/8,*" }, `-i/--istio-service-cidr "10.0.0.0/8,*": "*" must be the whole list`},
		{"exclude CIDR star", func(o *capture.Options) { o.ExcludeOutboundCIDRs = "*" }, `-x/--istio-service-exclude-cidr "*": "*" is not allowed here`},
		{"bad exclude CIDR", func(o *capture.Options) { o.ExcludeOutboundCIDRs = "fe80::1%eth0" }, `-x/--istio-service-exclude-cidr`},
		{"bad inbound port", func(o *capture.Options) { o.IncludeInboundPorts = "80,http" }, `-b/--istio-inbound-ports "80,http": "http" is not a port`},
		{"bad excluded inbound port", func(o *capture.Options) { o.ExcludeInboundPorts = "15090,15021," }, `-d/--istio-local-exclude-ports "15090,15021,": "" is not a port`},
		{"star excluded inbound", func(o *capture.Options) { o.ExcludeInboundPorts = "*" }, `-d/--istio-local-exclude-ports "*": "*" is not allowed here`},
		{"bad outbound include port", func(o *capture.Options) { o.IncludeOutboundPorts = "-1" }, `-q/--istio-local-outbound-ports-include "-1"`},
		{"bad outbound exclude port", func(o *capture.Options) { o.ExcludeOutboundPorts = "0" }, `-o/--istio-local-outbound-ports-exclude "0"`},
		{"bad interface", func(o *capture.Options) { o.ExcludeInterfaces = "a-very-long-interface-name" }, `-c/--istio-exclude-interfaces`},
		{"spaces are tolerated", func(o *capture.Options) { o.ExcludeInboundPorts = " 15090 , 15021 "; o.IncludeOutboundCIDRs = " * " }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := templateOptions()
			tc.set(&o)
			_, err := o.Config()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestRulesFromFlags: which rules each flag produces, read as nft text (one line per rule).
func TestRulesFromFlags(t *testing.T) {
	cases := []struct {
		name      string
		set       func(*capture.Options)
		want, not []string
	}{{
		name: "defaults redirect everything outbound and inbound but the proxy's ports",
		set:  func(*capture.Options) {},
		want: []string{
			"meta l4proto tcp redirect to :15001", "meta l4proto tcp redirect to :15006",
			"tcp dport 15020 return", "tcp dport 15021 return", "tcp dport 15090 return",
			"meta skuid 1337 return", "meta skgid 1337 return", "ip daddr 127.0.0.1 return",
			"oifname \"lo\" meta skuid != 1337 return", "ip saddr 127.0.0.6 oifname \"lo\" return",
		},
	}, {
		name: "other capture ports",
		set:  func(o *capture.Options) { o.OutboundPort, o.InboundPort = "16001", "16006" },
		want: []string{"meta l4proto tcp redirect to :16001", "meta l4proto tcp redirect to :16006"},
		not:  []string{"meta l4proto tcp redirect to :15001", "meta l4proto tcp redirect to :15006"},
	}, {
		name: "gid defaults to the uid",
		set:  func(o *capture.Options) { o.ProxyUID = "2000" },
		want: []string{"meta skuid 2000 return", "meta skgid 2000 return"},
		not:  []string{"meta skuid 1337 return", "meta skgid 1337 return"},
	}, {
		name: "empty include lists capture nothing",
		set:  func(o *capture.Options) { o.IncludeOutboundCIDRs, o.IncludeInboundPorts = "", "" },
		not:  []string{"meta l4proto tcp redirect to :15001", "meta l4proto tcp redirect to :15006", "oifname \"lo\" ip daddr != 127.0.0.1 meta skuid 1337 meta l4proto tcp redirect to :15006"},
	}, {
		name: "include lists",
		set: func(o *capture.Options) {
			o.IncludeOutboundCIDRs, o.IncludeInboundPorts = "10.96.0.0/12", "9080,8080,8080"
		},
		want: []string{"ip daddr 10.96.0.0/12 meta l4proto tcp redirect to :15001", "tcp dport 8080 redirect to :15006", "tcp dport 9080 redirect to :15006"},
		not:  []string{"meta l4proto tcp redirect to :15001", "tcp dport 15090 return"},
	}, {
		name: "an include list with loopback captures the application's localhost calls",
		set:  func(o *capture.Options) { o.IncludeOutboundCIDRs = "127.0.0.0/8" },
		not:  []string{"oifname \"lo\" meta skuid != 1337 return"},
	}, {
		name: "exclusions",
		set: func(o *capture.Options) {
			o.ExcludeOutboundCIDRs, o.ExcludeOutboundPorts, o.ExcludeInterfaces = "10.1.2.3,fd00::/8", "5432", "eth9"
		},
		want: []string{"ip daddr 10.1.2.3 return", "ip6 daddr fd00::/8 return", "tcp dport 5432 return", "iifname \"eth9\" return", "oifname \"eth9\" return"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := templateOptions()
			tc.set(&o)
			cfg, err := o.Config()
			if err != nil {
				t.Fatal(err)
			}
			text := capture.Rules(cfg).Text()
			lines := map[string]bool{}
			for _, l := range strings.Split(text, "\n") {
				lines[strings.TrimSpace(l)] = true
			}
			for _, w := range tc.want {
				if !lines[w] {
					t.Errorf("missing rule %q in\n%s", w, text)
				}
			}
			for _, n := range tc.not {
				if lines[n] {
					t.Errorf("unexpected %q in\n%s", n, text)
				}
			}
		})
	}
}
