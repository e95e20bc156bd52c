package kubeinject

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// spoolMemory is how much output is held in memory before it spills to a temporary file.
const spoolMemory = 1 << 20

// output holds the injected YAML until the whole input has been read and injected, so that a failure
// never leaves half a stream on stdout, where `| kubectl apply -f -` would apply it, nor in the -o file.
// Memory stays flat whatever the input size: past spoolMemory bytes the output spills to a temporary
// file. With -o the output goes to a temporary file beside the target, renamed over it on success.
type output struct {
	stdout io.Writer // nil with -o
	target string    // -o FILE
	mem    bytes.Buffer
	file   *os.File
	done   bool
}

func newOutput(target string, stdout io.Writer) (*output, error) {
	if target == "" {
		return &output{stdout: stdout}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create output file %s: %w", target, err)
	}
	return &output{target: target, file: f}, nil
}

func (o *output) Write(p []byte) (int, error) {
	if o.file == nil && o.mem.Len()+len(p) > spoolMemory {
		o.spill()
	}
	if o.file != nil {
		return o.file.Write(p)
	}
	return o.mem.Write(p)
}

// spill moves the buffered output to a temporary file; without one (no writable temp directory) the
// output simply stays in memory.
func (o *output) spill() {
	f, err := os.CreateTemp("", "meshctl-kube-inject-*.yaml")
	if err != nil {
		return
	}
	if _, err := o.mem.WriteTo(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return
	}
	o.file = f
}

// Commit publishes the output: to stdout, or by renaming the temporary file over the -o target.
func (o *output) Commit() error {
	o.done = true
	if o.target != "" {
		name := o.file.Name()
		if err := o.file.Chmod(0o644); err != nil {
			return o.fail(fmt.Errorf("write %s: %w", o.target, err))
		}
		if err := o.file.Close(); err != nil {
			return o.fail(fmt.Errorf("write %s: %w", o.target, err))
		}
		if err := os.Rename(name, o.target); err != nil {
			return o.fail(fmt.Errorf("write %s: %w", o.target, err))
		}
		return nil
	}
	if o.file == nil {
		_, err := o.mem.WriteTo(o.stdout)
		return err
	}
	defer o.remove()
	if _, err := o.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read back the spooled output: %w", err)
	}
	_, err := io.Copy(o.stdout, o.file)
	return err
}

func (o *output) fail(err error) error {
	o.remove()
	return err
}

// Discard drops the output unless it was committed; it is safe to call after Commit.
func (o *output) Discard() {
	if o.done && o.target != "" {
		return
	}
	if o.file != nil {
		o.remove()
	}
}

func (o *output) remove() {
	if o.file == nil {
		return
	}
	o.file.Close()
	os.Remove(o.file.Name())
	o.file = nil
}
