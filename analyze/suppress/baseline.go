package suppress

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/kubeyaml"
)

// Baseline is the set of findings a project has accepted. An entry is identified by code, resource, field
// and message, not by line, so that edits elsewhere in a file do not make old findings new.
type Baseline struct {
	Version  int     `json:"version"`
	Findings []Entry `json:"findings"`
}

// Entry is one accepted finding; Fingerprint is what comparisons use, the rest is for the reader.
type Entry struct {
	Fingerprint string `json:"fingerprint"`
	Code        string `json:"code"`
	Resource    string `json:"resource"`
	Field       string `json:"field,omitempty"`
	Message     string `json:"message"`
}

// Fingerprint identifies a finding across runs.
func Fingerprint(f analyze.Finding) string {
	sum := sha256.Sum256([]byte(f.Code + "\x00" + f.Resource.String() + "\x00" + f.Field + "\x00" + f.Message))
	return hex.EncodeToString(sum[:12])
}

// New records findings as a baseline.
func New(findings []analyze.Finding) *Baseline {
	b := &Baseline{Version: 1, Findings: []Entry{}}
	for _, f := range findings {
		b.Findings = append(b.Findings, Entry{Fingerprint(f), f.Code, f.Resource.String(), f.Field, f.Message})
	}
	slices.SortFunc(b.Findings, func(x, y Entry) int {
		if x.Resource != y.Resource {
			return compare(x.Resource, y.Resource)
		}
		return compare(x.Fingerprint, y.Fingerprint)
	})
	b.Findings = slices.CompactFunc(b.Findings, func(x, y Entry) bool { return x.Fingerprint == y.Fingerprint })
	return b
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Write saves the baseline as YAML.
func (b *Baseline) Write(w io.Writer) error {
	out, err := yaml.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode baseline: %w", err)
	}
	_, err = w.Write(append([]byte("# meshctl analyze baseline: findings accepted on purpose. Regenerate with --write-baseline.\n"), out...))
	return err
}

// Read loads a baseline (YAML or JSON); name is for error messages.
func Read(r io.Reader, name string) (*Baseline, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", name, err)
	}
	// kubeyaml first, for the line of bad YAML and its refusal of alias bombs; then a strict decode.
	for _, doc := range kubeyaml.Split(data, name) {
		if _, err := doc.Node(); err != nil {
			return nil, err
		}
	}
	var b Baseline
	if err := yaml.UnmarshalStrict(data, &b); err != nil {
		return nil, &BadBaseline{Name: name, Err: err}
	}
	if b.Version != 1 {
		return nil, &BadBaseline{Name: name, Err: fmt.Errorf("version %d: want 1", b.Version)}
	}
	return &b, nil
}

// BadBaseline is a baseline file that does not parse: bad input (exit 65).
type BadBaseline struct {
	Name string
	Err  error
}

func (e *BadBaseline) Error() string      { return fmt.Sprintf("baseline %s: %v", e.Name, e.Err) }
func (e *BadBaseline) Unwrap() error      { return e.Err }
func (e *BadBaseline) InvalidInput() bool { return true }

// Filter returns the findings that are not in the baseline, and how many were.
func (b *Baseline) Filter(findings []analyze.Finding) (fresh []analyze.Finding, known int) {
	accepted := map[string]bool{}
	for _, e := range b.Findings {
		accepted[e.Fingerprint] = true
	}
	for _, f := range findings {
		if accepted[Fingerprint(f)] {
			known++
			continue
		}
		fresh = append(fresh, f)
	}
	return fresh, known
}
