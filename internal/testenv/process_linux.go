package testenv

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

func sysProcAttr(detach bool) *syscall.SysProcAttr {
	if detach {
		return &syscall.SysProcAttr{Setsid: true}
	}
	// Pdeathsig kills the component when the thread that started it dies, so even a test
	// binary that panics or is killed by `go test -timeout` leaves nothing running.
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// starter runs cmd.Start on one OS thread that never exits. Pdeathsig fires when the *thread*
// that forked the child ends, and the Go runtime may end threads; this one it keeps.
var starter struct {
	once sync.Once
	reqs chan func()
}

func startCmd(cmd *exec.Cmd, detach bool) error {
	if detach {
		return cmd.Start()
	}
	starter.once.Do(func() {
		starter.reqs = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for f := range starter.reqs {
				f()
			}
		}()
	})
	errc := make(chan error, 1)
	starter.reqs <- func() { errc <- cmd.Start() }
	return <-errc
}

// isProcess reports whether pid is alive and runs exe. A zombie has no exe and counts as gone.
func isProcess(pid int, exe string) bool {
	got, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return false
	}
	// A binary replaced by a rebuild while running shows as "path (deleted)".
	return strings.TrimSuffix(got, " (deleted)") == exe
}

// processStartTime is the start time of pid in clock ticks since boot (field 22 of
// /proc/PID/stat), which tells a live owner from an unrelated process that reused its PID.
func processStartTime(pid int) uint64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; count fields after its closing parenthesis.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(fields[19], 10, 64)
	return v
}
