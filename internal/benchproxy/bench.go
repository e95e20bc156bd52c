package benchproxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meshctl/meshctl/internal/netns"
)

// Options of a benchmark run.
type Options struct {
	Tools    string // holds fortio and caddy
	Bin      string // holds mesh-proxy and mesh-init
	Dir      string // scratch files, readable by the proxy's user
	QPS      int
	Conns    int
	Duration time.Duration // each fixed-rate run
	Saturate time.Duration // each wrk run
	Variants []string      // direct, mesh-proxy, mesh-proxy-explicit, nginx, haproxy, caddy
	Rounds   int           // each variant is measured this many times, interleaved; the best counts
	Profile  string        // when set, CPU profiles of the mesh-proxy pair under saturation go there
	Log      io.Writer
}

// Result is one variant's figures.
type Result struct {
	Name       string
	Load       Load
	CPUPerK    []float64 // vCPU per 1,000 rps, per proxy (client side, server side)
	RSS        []int64
	RSSAnon    []int64
	MaxRPS     float64
	Err        error
	ProxyCount int
}

// Run measures every variant in one topology, one after the other.
func Run(t netns.T, o Options) []Result {
	tp := NewTopology(t)
	fortio := filepath.Join(o.Tools, "fortio")
	server, err := tp.Start(tp.Server, 0, []string{"GOMAXPROCS=1"}, fortio, "server", "-http-port", ":"+ServerPort,
		"-grpc-port", "disabled", "-redirect-port", "disabled", "-loglevel", "warning")
	if err != nil {
		t.Fatalf("%v", err)
	}
	if err := tp.WaitListening(tp.Server, "127.0.0.1:"+ServerPort, server); err != nil {
		t.Fatalf("fortio server: %v", err)
	}
	best := map[string]*Result{}
	for round := 1; round <= max(o.Rounds, 1); round++ {
		for _, v := range o.Variants {
			fmt.Fprintf(o.Log, "==> round %d: %s\n", round, v)
			r := tp.measure(v, o)
			if r.Err != nil {
				fmt.Fprintf(o.Log, "    %s: %v\n", v, r.Err)
			}
			fmt.Fprintf(o.Log, "    p50 %s p90 %s p99 %s, cpu/1k %.3f, rss %v (anonymous %v), max %.0f rps\n", ms(r.Load.P50), ms(r.Load.P90), ms(r.Load.P99), r.CPUPerK, r.RSS, r.RSSAnon, r.MaxRPS)
			best[v] = better(best[v], r)
		}
	}
	var results []Result
	for _, v := range o.Variants {
		results = append(results, *best[v])
	}
	return results
}

// better keeps, figure by figure, the best of two measurements of a variant: on a shared machine
// the other work only ever makes a figure worse.
func better(a *Result, b Result) *Result {
	if a == nil || a.Err != nil {
		return &b
	}
	if b.Err != nil {
		return a
	}
	m := *a
	m.Load.P50, m.Load.P90, m.Load.P99 = min(a.Load.P50, b.Load.P50), min(a.Load.P90, b.Load.P90), min(a.Load.P99, b.Load.P99)
	m.Load.Errors = max(a.Load.Errors, b.Load.Errors)
	m.MaxRPS = max(a.MaxRPS, b.MaxRPS)
	for i := range m.CPUPerK {
		if i < len(b.CPUPerK) {
			m.CPUPerK[i] = min(a.CPUPerK[i], b.CPUPerK[i])
			m.RSS[i] = max(a.RSS[i], b.RSS[i])
		}
	}
	return &m
}

func (tp *Topology) measure(variant string, o Options) Result {
	r := Result{Name: variant}
	direct := "http://" + ServerIP + ":" + ServerPort + "/"
	url := direct
	var procs []*Proc
	switch variant {
	case "direct":
	case "mesh-proxy", "mesh-proxy-explicit":
		capture := variant == "mesh-proxy"
		pair, err := tp.startMeshProxyPair(o.Bin, o.Dir, false, capture)
		if err != nil {
			r.Err = err
			return r
		}
		defer tp.StopMeshProxyPair(o.Bin, pair)
		procs = []*Proc{pair.Client, pair.Server}
		if !capture {
			url = "http://127.0.0.1:" + PeerPort + "/"
		}
	default:
		var cfg *peerConfig
		for _, p := range peers(o.Tools) {
			if p.name == variant {
				cfg = &p
			}
		}
		if cfg == nil {
			r.Err = fmt.Errorf("unknown variant %q", variant)
			return r
		}
		if _, err := exec.LookPath(cfg.binary); err != nil {
			r.Err = fmt.Errorf("%s is not installed (make bench-proxy-tools)", cfg.binary)
			return r
		}
		pair, err := tp.StartPeerPair(*cfg, o.Dir)
		if err != nil {
			r.Err = err
			return r
		}
		defer tp.Stop(pair.Client)
		defer tp.Stop(pair.Server)
		procs = []*Proc{pair.Client, pair.Server}
		url = "http://127.0.0.1:" + PeerPort + "/"
	}
	r.ProxyCount = len(procs)
	if err := tp.check(url); err != nil {
		r.Err = err
		return r
	}
	fortio := filepath.Join(o.Tools, "fortio")
	// Warm up: connections open, caches filled, the Go runtime's heap grown.
	if _, err := tp.fortioLoad(fortio, tp.Client, url, o.QPS, o.Conns, 3*time.Second); err != nil {
		r.Err = err
		return r
	}
	before := make([]Usage, len(procs))
	for i, p := range procs {
		before[i] = usage(p.Cmd.Process.Pid)
	}
	start := time.Now()
	load, err := tp.fortioLoad(fortio, tp.Client, url, o.QPS, o.Conns, o.Duration)
	elapsed := time.Since(start)
	if err != nil {
		r.Err = err
		return r
	}
	r.Load = load
	for i, p := range procs {
		after := usage(p.Cmd.Process.Pid)
		vcpu := (after.CPU - before[i].CPU).Seconds() / elapsed.Seconds()
		r.CPUPerK = append(r.CPUPerK, vcpu/(load.ActualQPS/1000))
		r.RSS = append(r.RSS, after.RSS)
		r.RSSAnon = append(r.RSSAnon, after.RSSAnon)
	}
	var profiles sync.WaitGroup
	if o.Profile != "" && variant == "mesh-proxy" {
		for i, ns := range []*netns.NS{tp.Client, tp.Server} {
			profiles.Add(1)
			go func() {
				defer profiles.Done()
				path := filepath.Join(o.Profile, fmt.Sprintf("mesh-proxy-%s.pprof", []string{"client", "server"}[i]))
				secs := strconv.Itoa(int(o.Saturate.Seconds()) - 1)
				if _, err := tp.Run(ns, "curl", "-s", "-o", path, "http://127.0.0.1:15000/debug/pprof/profile?seconds="+secs); err != nil {
					fmt.Fprintf(o.Log, "    profile: %v\n", err)
				}
			}()
		}
	}
	if r.MaxRPS, err = tp.wrkSaturate(tp.Client, url, o.Conns, o.Saturate); err != nil {
		r.Err = err
	}
	profiles.Wait()
	return r
}

// check sends one request through the variant before measuring it.
func (tp *Topology) check(url string) error {
	var status int
	var body string
	err := tp.Client.Run(func() error {
		// Dial on this thread, inside the namespace: the transport would dial from another goroutine.
		conn, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"), 10*time.Second)
		if err != nil {
			return err
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
			DialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil }}}
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		status, body = resp.StatusCode, string(b)
		return nil
	})
	if err != nil {
		return fmt.Errorf("check %s: %w", url, err)
	}
	if status != 200 {
		return fmt.Errorf("check %s: %d %s", url, status, body)
	}
	return nil
}

// Report writes the results as a table: added latency over direct, CPU and memory per proxy,
// saturation throughput of the pair.
func Report(w io.Writer, results []Result, o Options) {
	var base *Result
	for i := range results {
		if results[i].Name == "direct" && results[i].Err == nil {
			base = &results[i]
		}
	}
	fmt.Fprintf(w, "\nfortio %d rps, %d connections, %s; wrk %d connections, %s; one worker per proxy\n\n", o.QPS, o.Conns, o.Duration, o.Conns, o.Saturate)
	fmt.Fprintf(w, "| variant | p50 | p90 | p99 | added p50 / p90 / p99 | vCPU per proxy per 1k rps | RSS per proxy | pair max rps | errors |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|\n")
	sorted := append([]Result(nil), results...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name == "direct" && sorted[j].Name != "direct" })
	for _, r := range sorted {
		if r.Err != nil {
			fmt.Fprintf(w, "| %s | error: %s | | | | | | | |\n", r.Name, strings.ReplaceAll(r.Err.Error(), "\n", " "))
			continue
		}
		added := "—"
		if base != nil && r.Name != "direct" {
			added = fmt.Sprintf("+%s / +%s / +%s", ms(r.Load.P50-base.Load.P50), ms(r.Load.P90-base.Load.P90), ms(r.Load.P99-base.Load.P99))
		}
		cpu, rss := "—", "—"
		if len(r.CPUPerK) > 0 {
			var c []string
			var m []string
			for i := range r.CPUPerK {
				c = append(c, fmt.Sprintf("%.3f", r.CPUPerK[i]))
				m = append(m, fmt.Sprintf("%.1f MB", float64(r.RSS[i])/1e6))
			}
			cpu, rss = strings.Join(c, " / "), strings.Join(m, " / ")
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %.0f | %d |\n", r.Name, ms(r.Load.P50), ms(r.Load.P90), ms(r.Load.P99), added, cpu, rss, r.MaxRPS, r.Load.Errors)
	}
	fmt.Fprintf(w, "\nCPU and RSS: client-side / server-side proxy (whole process tree). Added latency is over direct.\n")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }
