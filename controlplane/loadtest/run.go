package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Trigger makes the change whose convergence is measured.
type Trigger struct {
	Name string
	Do   func(context.Context) error
}

// CommandTrigger runs a shell command (e.g. `kubectl apply -f vs.yaml`) as a trigger.
func CommandTrigger(command string, stderr io.Writer) Trigger {
	return Trigger{Name: command, Do: func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, "sh", "-c", command)
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run %q: %w", command, err)
		}
		return nil
	}}
}

// RunOptions are a whole load run: connect, measure each trigger, disconnect.
type RunOptions struct {
	Options
	Triggers []Trigger
	// Settle is how long no proxy may receive anything before a push counts as complete.
	Settle time.Duration
	// TriggerTimeout bounds each measurement; proxies with nothing new by then are unconverged.
	TriggerTimeout time.Duration
	// MetricsURL, when set, is the control plane's Prometheus endpoint (15014/metrics, meshd or
	// istiod): its process_resident_memory_bytes and process_cpu_seconds_total are sampled.
	MetricsURL string
}

// Report is what a run measured.
type Report struct {
	Proxies        int           `json:"proxies"`
	Delta          bool          `json:"delta"`
	ConnectSeconds float64       `json:"connectSeconds"`
	FirstSyncBytes Summary       `json:"firstSyncBytes"`
	Triggers       []TriggerRun  `json:"triggers"`
	Server         []ServerUsage `json:"server,omitempty"`
	StreamErrors   []string      `json:"streamErrors,omitempty"`
}

// TriggerRun is one trigger's convergence.
type TriggerRun struct {
	Name string `json:"name"`
	Convergence
}

// ServerUsage is the control plane's memory and CPU at one moment of the run.
type ServerUsage struct {
	At         string  `json:"at"`
	RSSBytes   float64 `json:"rssBytes"`
	CPUSeconds float64 `json:"cpuSeconds"`
}

// Run connects the fleet, measures every trigger in turn and disconnects.
func Run(ctx context.Context, o RunOptions) (Report, error) {
	rep := Report{Proxies: o.Proxies, Delta: o.Delta}
	if o.TriggerTimeout <= 0 {
		o.TriggerTimeout = time.Minute
	}
	if err := o.validate(); err != nil {
		return rep, err
	}
	sample := func(at string) {
		if o.MetricsURL == "" {
			return
		}
		u, err := scrapeUsage(ctx, o.MetricsURL)
		if err != nil {
			o.Logger.Warn("scrape control plane metrics", "url", o.MetricsURL, "error", err)
			return
		}
		u.At = at
		rep.Server = append(rep.Server, u)
	}
	sample("before")
	start := time.Now()
	f, err := Start(ctx, o.Options)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	rep.ConnectSeconds = time.Since(start).Seconds()
	rep.FirstSyncBytes = f.FirstSyncBytes()
	sample("connected")
	for _, t := range o.Triggers {
		tctx, cancel := context.WithTimeout(ctx, o.TriggerTimeout)
		c, err := f.Measure(tctx, o.Settle, t.Do)
		cancel()
		if err != nil {
			return rep, fmt.Errorf("trigger %s: %w", t.Name, err)
		}
		rep.Triggers = append(rep.Triggers, TriggerRun{Name: t.Name, Convergence: c})
		sample("after " + t.Name)
	}
	for _, err := range f.Errors() {
		rep.StreamErrors = append(rep.StreamErrors, err.Error())
	}
	return rep, nil
}

// scrapeUsage reads the process_* series both meshd and istiod export.
func scrapeUsage(ctx context.Context, url string) (ServerUsage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return ServerUsage{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ServerUsage{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ServerUsage{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseUsage(resp.Body)
}

func parseUsage(r io.Reader) (ServerUsage, error) {
	var u ServerUsage
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var dst *float64
		switch name {
		case "process_resident_memory_bytes":
			dst = &u.RSSBytes
		case "process_cpu_seconds_total":
			dst = &u.CPUSeconds
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return u, fmt.Errorf("metric %s: value %q: %w", name, value, err)
		}
		*dst = v
	}
	return u, sc.Err()
}
