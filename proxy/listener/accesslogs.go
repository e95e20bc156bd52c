package listener

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/meshctl/meshctl/proxy/accesslog"
)

// accessLogs are the files filter chains log to (xDS access_log), each opened once for the
// manager's life: configurations come and go, the files stay open.
type accessLogs struct {
	open    func(path string) (io.Writer, error)
	mu      sync.Mutex
	byPath  map[string]*accesslog.Logger
	closers []io.Closer
}

func (a *accessLogs) get(path string) (*accesslog.Logger, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if l := a.byPath[path]; l != nil {
		return l, nil
	}
	w, err := a.open(path)
	if err != nil {
		return nil, fmt.Errorf("access log %s: %w", path, err)
	}
	if c, ok := w.(io.Closer); ok && w != os.Stdout && w != os.Stderr {
		a.closers = append(a.closers, c)
	}
	if a.byPath == nil {
		a.byPath = map[string]*accesslog.Logger{}
	}
	l := accesslog.NewLogger(w)
	a.byPath[path] = l
	return l, nil
}

func (a *accessLogs) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.closers {
		_ = c.Close()
	}
	a.closers, a.byPath = nil, nil
}

// OpenAccessLog is the default opener of access log paths: the proxy's standard output and error
// by their /dev names (a container's /dev/stdout may not be openable), else a file appended to.
func OpenAccessLog(path string) (io.Writer, error) {
	switch path {
	case "/dev/stdout":
		return os.Stdout, nil
	case "/dev/stderr":
		return os.Stderr, nil
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
}

// logTo writes info to the chain's access logs, or, when the configuration names none, to the
// proxy's own (nil: none).
func (c *chain) logTo(info *accesslog.Info, fallback *accesslog.Logger) {
	if len(c.logs) == 0 {
		fallback.Log(info)
		return
	}
	for _, l := range c.logs {
		l.Log(info)
	}
}
