package analyzers

import (
	"slices"
	"sync"
	"testing"
)

// firedCodes records which analyzer reported which code in run, so that a test can ask afterwards whether
// every declared code was seen.
type firedCodes struct {
	mu   sync.Mutex
	seen map[string]map[string]bool // analyzer -> code
}

var fired firedCodes

func (f *firedCodes) record(analyzer, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen == nil {
		f.seen = map[string]map[string]bool{}
	}
	if f.seen[analyzer] == nil {
		f.seen[analyzer] = map[string]bool{}
	}
	f.seen[analyzer][code] = true
}

func (f *firedCodes) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = nil
}

func (f *firedCodes) has(analyzer, code string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[analyzer][code]
}

// TestEveryDeclaredCodeFires runs the whole table of TestAnalyzers and checks that each code an analyzer
// declares in Metadata().Codes was reported by that analyzer in at least one case: a declared code with no
// case is a rule nobody has seen work. It runs the table itself so that it holds under -run and -shuffle.
func TestEveryDeclaredCodeFires(t *testing.T) {
	fired.reset()
	if !t.Run("table", TestAnalyzers) {
		t.Fatal("the table fails; fix it first")
	}
	for _, a := range All() {
		m := a.Metadata()
		var missing []string
		for _, code := range m.Codes {
			if !fired.has(m.Name, code) {
				missing = append(missing, code)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			t.Errorf("analyzer %s declares %v, which no case of TestAnalyzers makes it report: add a case", m.Name, missing)
		}
	}
}
