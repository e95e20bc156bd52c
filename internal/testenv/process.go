package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// proc is a component this process started.
type proc struct {
	name   Component
	pid    int
	exe    string // resolved path of the binary, compared with /proc/PID/exe before a kill
	log    string
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited and been reaped
	err    error         // Wait's result, valid after exited is closed
}

// startProcess starts bin with its output appended to logPath. A detached process gets its own
// session and outlives this one (`make cluster-up`); otherwise it gets its own process group,
// so a ^C meant for `go test` does not reach it half-way, and dies with this process.
func startProcess(name Component, bin string, args []string, logPath string, detach bool) (*proc, error) {
	exe, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "# %s %s\n", exe, strings.Join(args, " "))
	cmd := exec.Command(exe, args...)
	// Output goes straight to a file, never through a pipe: `eval "$(make -s cluster-up)"`
	// would otherwise wait for the cluster to exit.
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr(detach)
	if err := startCmd(cmd, detach); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, pid: cmd.Process.Pid, exe: exe, log: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// hasExited reports whether the process is gone, and how it ended.
func (p *proc) hasExited() (bool, error) {
	select {
	case <-p.exited:
		return true, p.err
	default:
		return false, nil
	}
}

// stop ends the process: SIGTERM, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	if done, _ := p.hasExited(); done {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// procState is how a component is recorded in the state file for another process to stop.
type procState struct {
	Name Component `json:"name"`
	PID  int       `json:"pid"`
	Exe  string    `json:"exe"`
}

// stopRecorded stops a process started by another run, by PID, only while /proc/PID/exe is
// still the binary that was started: after a reboot or a long pause the PID may belong to an
// unrelated process.
func stopRecorded(ps procState, grace time.Duration) error {
	if !isProcess(ps.PID, ps.Exe) {
		return nil
	}
	if err := syscall.Kill(ps.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s (pid %d): %w", ps.Name, ps.PID, err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !isProcess(ps.PID, ps.Exe) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(ps.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s (pid %d): %w", ps.Name, ps.PID, err)
	}
	for i := 0; i < 100 && isProcess(ps.PID, ps.Exe); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// runOutput runs a short command (a --version check) and returns its combined output.
func runOutput(ctx context.Context, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%w: %s", err, tail(string(out), 10))
	}
	return string(out), nil
}

// logTail is the end of a component's log, for error messages.
func logTail(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return tail(string(data), lines)
}
