package agent

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestReadOnlyMapping(t *testing.T) {
	const exe = "/usr/bin/mesh proxy"
	for _, tc := range []struct {
		line       string
		start, end uint64
		ok         bool
	}{
		{"00400000-00ec0000 r-xp 00000000 fe:00 10002450   /usr/bin/mesh proxy", 0x400000, 0xec0000, true},
		{"00ec0000-01cc9000 r--p 00ac0000 fe:00 10002450   /usr/bin/mesh proxy", 0xec0000, 0x1cc9000, true},
		{"01cc9000-01d65000 rw-p 018c9000 fe:00 10002450   /usr/bin/mesh proxy", 0, 0, false}, // data
		{"00400000-00ec0000 r-xs 00000000 fe:00 10002450   /usr/bin/mesh proxy", 0, 0, false}, // shared
		{"00400000-00ec0000 r-xp 00000000 fe:00 10002450   /usr/bin/mesh", 0, 0, false},       // another file
		{"00400000-00ec0000 r-xp 00000000 fe:00 10002450   /usr/bin/mesh proxy (deleted)", 0, 0, false},
		{"25bd1bc00000-25bd1c800000 rw-p 00000000 00:00 0", 0, 0, false}, // anonymous
		{"00ec0000-00400000 r--p 00ac0000 fe:00 10002450   /usr/bin/mesh proxy", 0, 0, false},
		{"zz-01cc9000 r--p 00ac0000 fe:00 10002450   /usr/bin/mesh proxy", 0, 0, false},
	} {
		start, end, ok := readOnlyMapping(tc.line, exe)
		if start != tc.start || end != tc.end || ok != tc.ok {
			t.Errorf("%q: %x-%x %v, want %x-%x %v", tc.line, start, end, ok, tc.start, tc.end, tc.ok)
		}
	}
}

// TestReleaseExecPages releases the test binary's read-only pages: their resident size drops, and
// the program goes on running (the pages it needs come back from the file).
func TestReleaseExecPages(t *testing.T) {
	before := exeResidentKB(t)
	n, err := releaseExecPages()
	if err != nil {
		t.Fatal(err)
	}
	after := exeResidentKB(t)
	t.Logf("advised %d kB; resident %d kB before, %d kB after", n>>10, before, after)
	if n == 0 || after >= before/2 {
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
			_, _, counting = readOnlyMapping(line, exe)
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
