package testenv

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// fileLock is an exclusive advisory lock (flock) on a file. Two `go test` processes that want
// the same version build it once: the second waits and then finds the binaries there.
type fileLock struct{ f *os.File }

// lockFile takes the lock, waiting while another process holds it. It says once on log that it
// waits, so a slow build elsewhere does not look like a hang.
func lockFile(ctx context.Context, path string, log io.Writer) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &fileLock{f: f}, nil
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !said {
			fmt.Fprintf(log, "testenv: waiting for %s (another process is building)\n", path)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// unlock releases the lock; closing the file drops it.
func (l *fileLock) unlock() { l.f.Close() }
