package benchproxy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/meshctl/meshctl/internal/netns"
)

// Load is one fortio run at a fixed rate.
type Load struct {
	P50, P90, P99 time.Duration
	ActualQPS     float64
	Errors        int
}

// fortioLoad runs fortio against url from inside ns at qps with conns connections.
func (tp *Topology) fortioLoad(fortio string, ns *netns.NS, url string, qps, conns int, d time.Duration) (Load, error) {
	out, err := tp.Run(ns, fortio, "load", "-quiet", "-qps", strconv.Itoa(qps), "-c", strconv.Itoa(conns), "-t", d.String(),
		"-p", "50,90,99", "-json", "-", url)
	if err != nil {
		return Load{}, err
	}
	var res struct {
		ActualQPS         float64
		RetCodes          map[string]int
		DurationHistogram struct {
			Percentiles []struct{ Percentile, Value float64 }
		}
	}
	// fortio prints its JSON after any log lines.
	if i := strings.Index(out, "{"); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return Load{}, fmt.Errorf("fortio output: %w", err)
	}
	l := Load{ActualQPS: res.ActualQPS}
	for code, n := range res.RetCodes {
		if code != "200" {
			l.Errors += n
		}
	}
	for _, p := range res.DurationHistogram.Percentiles {
		v := time.Duration(p.Value * float64(time.Second))
		switch p.Percentile {
		case 50:
			l.P50 = v
		case 90:
			l.P90 = v
		case 99:
			l.P99 = v
		}
	}
	return l, nil
}

var wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// wrkSaturate runs wrk against url from inside ns and returns requests per second.
func (tp *Topology) wrkSaturate(ns *netns.NS, url string, conns int, d time.Duration) (float64, error) {
	out, err := tp.Run(ns, "wrk", "-t", "2", "-c", strconv.Itoa(conns), "-d", strconv.Itoa(int(d.Seconds()))+"s", url)
	if err != nil {
		return 0, err
	}
	m := wrkRate.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("wrk output without a rate: %s", out)
	}
	return strconv.ParseFloat(m[1], 64)
}

// Usage is a process tree's resources.
type Usage struct {
	CPU     time.Duration // user + system
	RSS     int64         // bytes, the tree's resident set
	RSSAnon int64         // of which anonymous memory (the rest: the program's own file pages)
}

const clockTick = 10 * time.Millisecond // USER_HZ is 100 on Linux

// usage reads the CPU time and resident memory of pid and its descendants from /proc.
func usage(pid int) Usage {
	var u Usage
	for _, p := range tree(pid) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		u.CPU += time.Duration(utime+stime) * clockTick
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
				u.RSS += kb << 10
			}
			if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
				kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
				u.RSSAnon += kb << 10
			}
		}
	}
	return u
}

// tree is pid and its descendants.
func tree(pid int) []int {
	children := map[int][]int{}
	entries, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, e := range entries {
		b, err := os.ReadFile(e)
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		ppid, _ := strconv.Atoi(fields[1])
		p, _ := strconv.Atoi(filepath.Base(filepath.Dir(e)))
		children[ppid] = append(children[ppid], p)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}
