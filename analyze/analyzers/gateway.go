package analyzers

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/analyze"
)

func gateways(c *analyze.Context) []*analyze.Object {
	var out []*analyze.Object
	for _, o := range c.Store.List(analyze.KindGateway) {
		if _, ok := o.Spec.(*networking.Gateway); ok {
			out = append(out, o)
		}
	}
	return out
}

// gatewayPods returns the workloads a Gateway selects, and whether the input could tell.
func gatewayPods(c *analyze.Context, gw *analyze.Object) ([]*analyze.Workload, bool) {
	ix := c.Index()
	sel := gw.Spec.(*networking.Gateway).Selector
	if len(sel) == 0 {
		return nil, false
	}
	pods := ix.SelectAnyNamespace(sel)
	// Files alone are all there is, as for istioctl: a selector no pod or workload of the input matches
	// is reported. From a cluster, pods were read in the analyzed and root namespaces only.
	known := len(pods) > 0 || c.Store.Complete(analyze.KindPod, c.RootNamespace) && c.Store.Complete(analyze.KindPod, gw.Namespace)
	return pods, known
}

// gatewayWorkloadAnalyzer checks that a Gateway selects gateway pods that expose its ports.
type gatewayWorkloadAnalyzer struct{}

func (gatewayWorkloadAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "gateway.workloads",
		Description: "Checks that a Gateway's selector matches gateway pods and that its ports are on the pods and their Service",
		Codes:       []string{"IST0101", "IST0104", "IST0162"},
		Inputs:      append([]analyze.GroupKind{analyze.KindGateway, analyze.KindService}, analyze.WorkloadKinds...),
	}
}

func (gatewayWorkloadAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	for _, o := range gateways(c) {
		gw := o.Spec.(*networking.Gateway)
		pods, known := gatewayPods(c, o)
		if len(pods) == 0 {
			if known {
				c.Report("IST0101", o, "spec.selector", "Referenced selector not found: %q", analyze.LabelString(gw.Selector))
			}
			continue
		}
		// Ports the pods listen on, and the target ports of the Services in front of them: a Gateway's
		// port number is where the proxy listens (8080 behind the Service's 80), as in Istio's analyzer.
		containerPorts := map[int64]bool{}
		svcTargets := map[int64]bool{}
		haveServices := false
		for _, w := range pods {
			for _, p := range containerPortsOf(w) {
				containerPorts[p.number] = true
			}
			for _, s := range ix.ServicesSelecting(w) {
				haveServices = true
				for _, sp := range s.Ports {
					if target, ok := targetPortOn(sp, w); ok {
						svcTargets[target] = true
					}
				}
			}
		}
		for i, s := range gw.Servers {
			if s.Port == nil {
				continue
			}
			p := idx("spec.servers", i) + ".port.number"
			num := int64(s.Port.Number)
			if haveServices && !svcTargets[num] {
				c.Report("IST0162", o, p, "The gateway is listening on a target port (port %d) that is not defined in the Service associated with its workload instances (Pod selector %s). If you need to access the gateway port through the gateway Service, it will not be available.", num, analyze.LabelString(gw.Selector))
			}
			if len(containerPorts) > 0 && !containerPorts[num] {
				c.Report("IST0104", o, p, "The gateway refers to a port that is not exposed on the workload (pod selector %s; port %d)", analyze.LabelString(gw.Selector), num)
			}
		}
	}
}

// targetPortOn is the container port a Service port sends to on a workload's pods: its targetPort number,
// the container port its targetPort names, or its port when targetPort is unset.
func targetPortOn(sp analyze.ServicePort, w *analyze.Workload) (int64, bool) {
	switch t := sp.TargetPort.(type) {
	case int64:
		return t, true
	case string:
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			return n, true
		}
		for _, cp := range containerPortsOf(w) {
			if cp.name == t {
				return cp.number, true
			}
		}
		return 0, false
	}
	return sp.Port, true
}

type containerPort struct {
	name   string
	number int64
}

func containerPortsOf(w *analyze.Workload) []containerPort {
	var out []containerPort
	containers, _ := w.PodSpec["containers"].([]any)
	for _, ct := range containers {
		cm, _ := ct.(map[string]any)
		ports, _ := cm["ports"].([]any)
		for _, p := range ports {
			pm, _ := p.(map[string]any)
			n, _ := pm["containerPort"].(int64)
			name, _ := pm["name"].(string)
			out = append(out, containerPort{name, n})
		}
	}
	return out
}

// gatewayConflictAnalyzer finds gateways that compete for the same port and hosts, or share certificates.
type gatewayConflictAnalyzer struct{}

func (gatewayConflictAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "gateway.conflicts",
		Description: "Finds Gateways selecting the same pods (equal selectors, or one a subset of the other) that serve the same port and hosts, and certificates used by several Gateways",
		Codes:       []string{"IST0145", "IST0138"},
		Inputs:      []analyze.GroupKind{analyze.KindGateway},
	}
}

// sameWorkloads reports whether two gateway selectors pick common pods for sure: equal, or one a subset
// of the other (every pod the larger selects, the smaller selects too).
func sameWorkloads(a, b map[string]string) bool {
	return analyze.Matches(a, b) || analyze.Matches(b, a)
}

func (gatewayConflictAnalyzer) Analyze(c *analyze.Context) {
	type server struct {
		gw    *analyze.Object
		sel   map[string]string
		index int
		hosts []string
	}
	byPort := map[uint32][]server{}
	type certUse struct {
		gw  *analyze.Object
		sel map[string]string
	}
	byCert := map[string][]certUse{}
	for _, o := range gateways(c) {
		gw := o.Spec.(*networking.Gateway)
		for i, s := range gw.Servers {
			if s.Port == nil {
				continue
			}
			var hosts []string
			for _, h := range s.Hosts {
				if _, host, ok := strings.Cut(h, "/"); ok {
					h = host
				}
				hosts = append(hosts, h)
			}
			byPort[s.Port.Number] = append(byPort[s.Port.Number], server{o, gw.Selector, i, hosts})
			if cert := certificateOf(s); cert != "" {
				if list := byCert[cert]; len(list) == 0 || list[len(list)-1].gw != o {
					byCert[cert] = append(list, certUse{o, gw.Selector})
				}
			}
		}
	}
	ports := slices.Sorted(maps.Keys(byPort))
	for _, port := range ports {
		servers := byPort[port]
		// Index the servers by exact host so that only candidates are compared; wildcard hosts are
		// compared with every server, as they are few.
		byHost := map[string][]int{}
		var wild []int
		for i, s := range servers {
			for _, h := range s.hosts {
				if strings.Contains(h, "*") {
					wild = append(wild, i)
				} else {
					byHost[strings.ToLower(h)] = append(byHost[strings.ToLower(h)], i)
				}
			}
		}
		for i, a := range servers {
			cands := map[int]bool{}
			for _, h := range a.hosts {
				if strings.Contains(h, "*") {
					for j := range servers[:i] {
						cands[j] = true
					}
				}
				for _, j := range byHost[strings.ToLower(h)] {
					cands[j] = true
				}
			}
			for _, j := range wild {
				cands[j] = true
			}
			order := make([]int, 0, len(cands))
			for j := range cands {
				if j < i {
					order = append(order, j)
				}
			}
			slices.Sort(order)
			for _, j := range order {
				b := servers[j]
				if a.gw == b.gw || !sameWorkloads(a.sel, b.sel) {
					continue
				}
				if shared := intersectHosts(a.hosts, b.hosts); len(shared) > 0 {
					c.Report("IST0145", a.gw, idx("spec.servers", a.index), "Conflict with gateways %s (workload selector %s, port %d, hosts %v).", b.gw.Namespace+"/"+b.gw.Name, analyze.LabelString(a.sel), port, shared)
				}
			}
		}
	}
	for _, cert := range sortedKeys(byCert) {
		uses := byCert[cert]
		for i, u := range uses {
			var group []string
			for _, v := range uses {
				if sameWorkloads(u.sel, v.sel) {
					group = append(group, v.gw.Namespace+"/"+v.gw.Name)
				}
			}
			if len(group) > 1 {
				c.Report("IST0138", uses[i].gw, "spec.servers", "Duplicate certificate in multiple gateways %v may cause 404s if clients re-use HTTP2 connections.", group)
			}
		}
	}
}

// certificateOf identifies an HTTPS server's certificate: its credentialName, or its serverCertificate and
// privateKey files; "" for a server without one.
func certificateOf(s *networking.Server) string {
	t := s.Tls
	if t == nil || !strings.EqualFold(s.Port.Protocol, "HTTPS") {
		return ""
	}
	switch {
	case t.CredentialName != "":
		return "credential:" + t.CredentialName
	case t.ServerCertificate != "":
		return "files:" + t.ServerCertificate + "|" + t.PrivateKey
	}
	return ""
}

func intersectHosts(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if hostsIntersect(x, y) {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// gatewayCredentialAnalyzer checks that credentialName Secrets exist where the gateway pods run, and hold a
// certificate and key.
type gatewayCredentialAnalyzer struct{}

func (gatewayCredentialAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "gateway.credentials",
		Description: "Checks that the Secrets named by Gateway credentialName exist in the gateway pods' namespace and hold a certificate and key",
		Codes:       []string{"IST0101", "IST0161"},
		Inputs:      append([]analyze.GroupKind{analyze.KindGateway, analyze.KindSecret}, analyze.WorkloadKinds...),
	}
}

func (gatewayCredentialAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range gateways(c) {
		gw := o.Spec.(*networking.Gateway)
		// The Secret must be where the gateway pods run; without pods in the input, the Gateway's own
		// namespace is the best guess.
		pods, _ := gatewayPods(c, o)
		var namespaces []string
		for _, w := range pods {
			if !slices.Contains(namespaces, w.Object.Namespace) {
				namespaces = append(namespaces, w.Object.Namespace)
			}
		}
		if len(namespaces) == 0 {
			namespaces = []string{o.Namespace}
		}
		for i, s := range gw.Servers {
			t := s.Tls
			if t == nil || t.CredentialName == "" || strings.Contains(t.CredentialName, "://") {
				continue
			}
			p := idx("spec.servers", i) + ".tls.credentialName"
			for _, ns := range namespaces {
				secret := c.Store.Get(analyze.KindSecret, ns, t.CredentialName)
				if secret == nil {
					if elsewhere := c.Store.Get(analyze.KindSecret, o.Namespace, t.CredentialName); elsewhere != nil && ns != o.Namespace {
						c.Report("IST0101", o, p, "Referenced credentialName not found: %q (it is in namespace %s, but the gateway pods run in namespace %s, where the Secret must be)", t.CredentialName, o.Namespace, ns)
					} else if secretsKnown(c, ns) {
						c.Report("IST0101", o, p, "Referenced credentialName not found: %q (no Secret %s/%s)", t.CredentialName, ns, t.CredentialName)
					}
					continue
				}
				if reason := invalidCredential(secret, t.Mode == networking.ServerTLSSettings_MUTUAL); reason != "" {
					c.Report("IST0161", o, p, "The credential referenced by the Gateway %s in namespace %s is invalid: secret %s/%s %s", o.Name, o.Namespace, ns, t.CredentialName, reason)
				}
			}
		}
	}
}

// secretsKnown reports whether the input shows the Secrets of a namespace: read from a cluster, or a
// namespace of which the files hold Secrets or workloads. Certificates are rarely kept with the
// configuration, so files without any say nothing about them.
func secretsKnown(c *analyze.Context, ns string) bool {
	return c.Store.Complete(analyze.KindSecret, ns) && (c.Index().HasWorkloadInput(ns) || len(c.Store.InNamespace(analyze.KindSecret, ns)) > 0)
}

// invalidCredential says what is wrong with a TLS Secret, or "".
func invalidCredential(secret *analyze.Object, mutual bool) string {
	data := secret.Map("data")
	if data == nil {
		data = secret.Map("stringData")
	}
	hasPair := data["tls.crt"] != nil && data["tls.key"] != nil || data["cert"] != nil && data["key"] != nil
	if !hasPair && !(mutual && (data["ca.crt"] != nil || data["cacert"] != nil)) {
		return "has neither tls.crt and tls.key nor cert and key"
	}
	return ""
}
