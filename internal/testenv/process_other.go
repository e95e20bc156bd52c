//go:build unix && !linux

package testenv

import (
	"os/exec"
	"syscall"
)

// Outside Linux there is no Pdeathsig: an interrupted test relies on Run's signal handler and
// on the sweep of stale state at the next start.
func sysProcAttr(detach bool) *syscall.SysProcAttr {
	if detach {
		return &syscall.SysProcAttr{Setsid: true}
	}
	return &syscall.SysProcAttr{Setpgid: true}
}

func startCmd(cmd *exec.Cmd, _ bool) error { return cmd.Start() }

// isProcess cannot read /proc/PID/exe here; a live PID is trusted.
func isProcess(pid int, _ string) bool { return syscall.Kill(pid, 0) == nil }

func processStartTime(int) uint64 { return 0 }
