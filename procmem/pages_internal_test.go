package procmem

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	// As in the programs that call it: package initialisation touches the Envoy API's descriptors
	// (read-only data) once, and never again.
	_ "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

func TestReadOnlyMappings(t *testing.T) {
	const exe = "/usr/bin/mesh proxy"
	smaps := `00400000-00ec0000 r-xp 00000000 fe:00 10002450   /usr/bin/mesh proxy
Size:              11008 kB
Rss:                9600 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me dw sd
00ec0000-01cc9000 r--p 00ac0000 fe:00 10002450   /usr/bin/mesh proxy
Anonymous:             0 kB
01cc9000-01d65000 rw-p 018c9000 fe:00 10002450   /usr/bin/mesh proxy
Anonymous:           120 kB
01d65000-01d66000 r--p 01965000 fe:00 10002450   /usr/bin/mesh proxy
Anonymous:             4 kB
01d66000-01d67000 r-xs 01966000 fe:00 10002450   /usr/bin/mesh proxy
Anonymous:             0 kB
01d67000-01d68000 rw-p 01967000 fe:00 10002450   /usr/bin/mesh proxy
Anonymous:             0 kB
7f0000000000-7f0000001000 r-xp 00000000 fe:00 20000000   /usr/bin/mesh
Anonymous:             0 kB
7f0000001000-7f0000002000 r-xp 00000000 fe:00 10002450   /usr/bin/mesh proxy (deleted)
Anonymous:             0 kB
7f0000003000-7f0000002000 r-xp 00000000 fe:00 10002450   /usr/bin/mesh proxy
Anonymous:             0 kB
25bd1bc00000-25bd1c800000 rw-p 00000000 00:00 0
Anonymous:          7016 kB
7f0000004000-7f0000005000 r--p 00000000 fe:00 10002450   /usr/bin/mesh proxy
`
	got := readOnlyMappings([]byte(smaps), exe)
	// code, read-only data, and the last mapping (no Anonymous line: nothing says it was written);
	// not the data (written or not), the written read-only page, the shared one, other files, the deleted file, the
	// inverted range or anonymous memory.
	want := []mapping{{0x400000, 0xec0000}, {0xec0000, 0x1cc9000}, {0x7f0000004000, 0x7f0000005000}}
	if !slices.Equal(got, want) {
		t.Errorf("got %x, want %x", got, want)
	}
}

// TestReleaseExecPages releases the test binary's read-only pages: their resident size drops, and
// the program goes on running (the pages it needs come back from the file).
func TestReleaseExecPages(t *testing.T) {
	before := exeResidentKB(t)
	n, err := ReleaseExecPages()
	if err != nil {
		t.Fatal(err)
	}
	after := exeResidentKB(t)
	t.Logf("advised %d kB; resident %d kB before, %d kB after", n>>10, before, after)
	if n == 0 || before-after < 1024 { // the test itself touches some again: a megabyte must go
		t.Errorf("resident read-only pages of the executable: %d kB before, %d kB after (%d kB advised)", before, after, n>>10)
	}
}

// exeResidentKB sums Rss over the executable's read-only private mappings (/proc/self/smaps).
func exeResidentKB(t *testing.T) int {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, counting := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if _, _, ok := strings.Cut(line, ":"); !ok || strings.Contains(strings.Fields(line)[0], "-") {
			_, _, _, counting = readOnlyMapping(line, exe)
			continue
		}
		if counting && strings.HasPrefix(line, "Rss:") {
			kb, err := strconv.Atoi(strings.Fields(line)[1])
			if err != nil {
				t.Fatal(err)
			}
			total += kb
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// TestReleaseWhenWaits releases nothing before the program is ready, and returns when it stops
// first.
func TestReleaseWhenWaits(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var asked atomic.Int32
	done := make(chan int64, 1)
	go func() {
		n, _ := ReleaseWhen(ctx, func() bool { asked.Add(1); return false })
		done <- n
	}()
	for asked.Load() == 0 {
		runtime.Gosched()
	}
	cancel()
	select {
	case n := <-done:
		if n != 0 {
			t.Errorf("released %d bytes before the program was ready", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting after the context ended")
	}
	n, err := ReleaseWhen(context.Background(), func() bool { return true })
	if err != nil || n == 0 {
		t.Errorf("ready: released %d bytes, %v", n, err)
	}
}
