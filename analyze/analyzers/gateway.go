package analyzers

import (
	"fmt"
	"slices"
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
	known := len(pods) > 0 || ix.HasWorkloadInput(c.RootNamespace) && ix.HasWorkloadInput(gw.Namespace)
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
					target := sp.Port
					if n, ok := sp.TargetPort.(int64); ok {
						target = n
					}
					svcTargets[target] = true
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
		Description: "Finds Gateways with the same selector serving the same port and hosts, and certificates used by several Gateways",
		Codes:       []string{"IST0145", "IST0138"},
		Inputs:      []analyze.GroupKind{analyze.KindGateway},
	}
}

func (gatewayConflictAnalyzer) Analyze(c *analyze.Context) {
	type server struct {
		gw    *analyze.Object
		index int
		hosts []string
	}
	byPort := map[string][]server{} // selector|port
	byCert := map[string][]*analyze.Object{}
	for _, o := range gateways(c) {
		gw := o.Spec.(*networking.Gateway)
		sel := analyze.LabelString(gw.Selector)
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
			key := fmt.Sprintf("%s|%d", sel, s.Port.Number)
			byPort[key] = append(byPort[key], server{o, i, hosts})
			if t := s.Tls; t != nil && strings.EqualFold(s.Port.Protocol, "HTTPS") {
				cert := t.CredentialName
				if cert == "" {
					cert = t.ServerCertificate
				}
				if cert != "" {
					k := sel + "|" + cert
					if list := byCert[k]; len(list) == 0 || list[len(list)-1] != o {
						byCert[k] = append(list, o)
					}
				}
			}
		}
	}
	for _, key := range sortedKeys(byPort) {
		servers := byPort[key]
		sel, port, _ := strings.Cut(key, "|")
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
				if a.gw == b.gw {
					continue
				}
				if shared := intersectHosts(a.hosts, b.hosts); len(shared) > 0 {
					c.Report("IST0145", a.gw, idx("spec.servers", a.index), "Conflict with gateways %s (workload selector %s, port %s, hosts %v).", b.gw.Namespace+"/"+b.gw.Name, sel, port, shared)
				}
			}
		}
	}
	for _, key := range sortedKeys(byCert) {
		list := byCert[key]
		if len(list) < 2 {
			continue
		}
		names := make([]string, len(list))
		for i, o := range list {
			names[i] = o.Name + "." + o.Namespace
		}
		for _, o := range list {
			c.Report("IST0138", o, "spec.servers", "Duplicate certificate in multiple gateways %v may cause 404s if clients re-use HTTP2 connections.", names)
		}
	}
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

// gatewayCredentialAnalyzer checks that credentialName Secrets exist where the gateway pods run.
type gatewayCredentialAnalyzer struct{}

func (gatewayCredentialAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "gateway.credentials",
		Description: "Checks that the Secrets named by Gateway credentialName exist in the gateway pods' namespace and hold a certificate and key",
		Codes:       []string{"IST0161"},
		Inputs:      append([]analyze.GroupKind{analyze.KindGateway, analyze.KindSecret}, analyze.WorkloadKinds...),
	}
}

func (gatewayCredentialAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range gateways(c) {
		gw := o.Spec.(*networking.Gateway)
		pods, _ := gatewayPods(c, o)
		ns := o.Namespace
		if len(pods) > 0 {
			ns = pods[0].Object.Namespace
		}
		for i, s := range gw.Servers {
			t := s.Tls
			if t == nil || t.CredentialName == "" || strings.Contains(t.CredentialName, "://") {
				continue
			}
			p := idx("spec.servers", i) + ".tls.credentialName"
			secret := c.Store.Get(analyze.KindSecret, ns, t.CredentialName)
			if secret == nil {
				if c.Store.Complete(analyze.KindSecret, ns) && (c.Index().HasWorkloadInput(ns) || len(c.Store.InNamespace(analyze.KindSecret, ns)) > 0) {
					c.Report("IST0161", o, p, "The credential referenced by the Gateway %s in namespace %s is invalid: secret %s/%s not found", o.Name, o.Namespace, ns, t.CredentialName)
				}
				continue
			}
			data := secret.Map("data")
			if data == nil {
				data = secret.Map("stringData")
			}
			hasPair := data["tls.crt"] != nil && data["tls.key"] != nil || data["cert"] != nil && data["key"] != nil
			if !hasPair && !(t.Mode == networking.ServerTLSSettings_MUTUAL && data["ca.crt"] != nil) {
				c.Report("IST0161", o, p, "The credential referenced by the Gateway %s in namespace %s is invalid: secret %s/%s has neither tls.crt and tls.key nor cert and key", o.Name, o.Namespace, ns, t.CredentialName)
			}
		}
	}
}
