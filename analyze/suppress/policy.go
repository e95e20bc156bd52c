package suppress

import "github.com/meshctl/meshctl/analyze"

// Policy decides what a run reports and whether it fails, in this order: suppression rules drop findings,
// then the baseline drops the accepted ones, then the output threshold hides low levels from the report
// (but not from the verdict), and the failure threshold decides the verdict.
type Policy struct {
	Rules []Rule
	// Baseline, when not nil, drops the findings it records.
	Baseline *Baseline
	// OutputLevel is the lowest level reported.
	OutputLevel analyze.Level
	// FailureLevel is the lowest level that fails the run.
	FailureLevel analyze.Level
	// Recording is a run that writes a baseline: its findings are accepted, so they never fail it.
	Recording bool
}

// Verdict is how a run ends.
type Verdict int

const (
	// Clean: no finding at or above the failure level.
	Clean Verdict = iota
	// IssuesFound: findings at or above the failure level.
	IssuesFound
	// IncompleteInput: some input could not be read. It wins over IssuesFound: the analysis is incomplete.
	IncompleteInput
)

// Outcome is what the policy made of a run.
type Outcome struct {
	// Findings survive the rules and the baseline: what a baseline written from this run records.
	Findings []analyze.Finding
	// Shown are the Findings at or above the output level: what the report prints.
	Shown []analyze.Finding
	// Accepted counts the findings the baseline dropped.
	Accepted int
	Verdict  Verdict
}

// Apply applies the policy to a run's result.
func (p Policy) Apply(res *analyze.Result) Outcome {
	out := Outcome{Findings: Apply(p.Rules, res.Findings)}
	if p.Baseline != nil {
		out.Findings, out.Accepted = p.Baseline.Filter(out.Findings)
	}
	out.Shown = Threshold(out.Findings, p.OutputLevel)
	switch {
	case len(res.InputErrors) > 0:
		out.Verdict = IncompleteInput
	case p.Recording:
	case len(Threshold(out.Findings, p.FailureLevel)) > 0:
		out.Verdict = IssuesFound
	}
	return out
}
