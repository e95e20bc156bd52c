// Package progress shows install's and uninstall's progress on stderr: a spinner with one line per
// finished component on a terminal, plain lines in a pipe or CI log, or one JSON event per line
// (--progress=json) for programs.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/briandowns/spinner"
	"github.com/fatih/color"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/iostreams"
	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/printer"
)

// Modes of --progress.
const (
	Auto = "auto" // spinner on a terminal, else log
	Log  = "log"
	JSON = "json"
)

// Validate checks a --progress value.
func Validate(mode string) error { return printer.Validate(mode, Auto, Log, JSON) }

// New returns the sink for mode, writing to the factory's stderr, and a function that stops it (the
// spinner) once the operation is over. For people, a failure before anything was written is left to the
// command's "Error: ..." line; a failure after writes is shown with its report (what was done, what to do
// next) above that line. The JSON stream always carries the failure, report included, as its last event.
func New(f *factory.Factory, mode string) (installer.Sink, func()) {
	w := f.IOStreams.ErrOut
	switch {
	case mode == JSON:
		return installer.JSONSink(w), func() {}
	case mode == Auto && iostreams.IsTerminal(w):
		file, _ := w.(*os.File)
		s := newSpinner(file, iostreams.Color(w, f.Getenv, nil))
		return withoutFailed(s), s.stop
	}
	return withoutFailed(installer.LogSink(w, false)), func() {}
}

func withoutFailed(s installer.Sink) installer.Sink {
	return installer.SinkFunc(func(e installer.Event) {
		if e.Type != installer.EventFailed || (e.Report != nil && e.Report.Changed+e.Report.Deleted > 0) {
			s.Event(e)
		}
	})
}

// spinnerSink keeps a spinner on the last line with what is being waited for, and prints each finished
// component, warning and failure above it.
type spinnerSink struct {
	mu      sync.Mutex
	s       *spinner.Spinner
	out     io.Writer
	colored bool
}

func newSpinner(file *os.File, colored bool) *spinnerSink {
	s := spinner.New(spinner.CharSets[14], 100*time.Millisecond, spinner.WithWriterFile(file))
	if colored {
		_ = s.Color("cyan")
	}
	return &spinnerSink{s: s, out: file, colored: colored}
}

func (p *spinnerSink) Event(e installer.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Type {
	case installer.EventPhase, installer.EventWaiting:
		suffix := " " + e.Message
		if e.Type == installer.EventWaiting && e.Component != "" {
			suffix = " Processing resources for " + e.Component + ". " + e.Message
		}
		p.s.Lock()
		p.s.Suffix = truncate(suffix, 160)
		p.s.Unlock()
		p.s.Start()
		return
	}
	line := installer.FormatEvent(e, false)
	if line == "" {
		return
	}
	p.s.Stop()
	fmt.Fprintln(p.out, p.paint(line))
	if e.Type != installer.EventDone && e.Type != installer.EventFailed {
		p.s.Start()
	}
}

func (p *spinnerSink) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.Stop()
}

// paint colours the leading symbol of a line: ✔ green, ✘ red, ! yellow.
func (p *spinnerSink) paint(line string) string {
	if !p.colored {
		return line
	}
	for sym, c := range map[string]*color.Color{"✔": color.New(color.FgGreen), "✘": color.New(color.FgRed), "!": color.New(color.FgYellow)} {
		if strings.HasPrefix(line, sym) {
			c.EnableColor()
			return c.Sprint(sym) + strings.TrimPrefix(line, sym)
		}
	}
	return line
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
