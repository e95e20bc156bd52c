package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"path/filepath"
	"testing"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/internal/golden"
)

func finding(code string, res analyze.Resource, origin analyze.Origin, field, msg string) analyze.Finding {
	c := analyze.MustCode(code)
	return analyze.Finding{Code: c.ID, Name: c.Name, Level: c.Level, Resource: res, Origin: origin, Field: field, Message: msg, Documentation: c.DocURL(), Analyzer: "test"}
}

func sample() Report {
	return Report{
		Namespace: "default", Objects: 7, FailureThreshold: analyze.Error, Tool: "0.1.0-test",
		Findings: []analyze.Finding{
			finding("IST0101", analyze.Resource{APIVersion: "networking.istio.io/v1", Kind: "VirtualService", Name: "reviews", Namespace: "default"},
				analyze.Origin{File: "k8s/vs.yaml", Line: 12}, "spec.http[0].route[0].destination.subset", `Referenced host+subset in destinationrule not found: "reviews+v4"`),
			finding("IST0118", analyze.Resource{APIVersion: "v1", Kind: "Service", Name: "ratings", Namespace: "default"},
				analyze.Origin{Cluster: true, ResourceVersion: "1234"}, "spec.ports[0].name", "Port name foo (port: 80, targetPort: 8080) doesn't follow the naming convention of Istio port."),
			finding("IST0102", analyze.Resource{APIVersion: "v1", Kind: "Namespace", Name: "frod"},
				analyze.Origin{File: "k8s/ns.yaml", Line: 1}, "metadata", "The namespace is not enabled for Istio injection."),
		},
	}
}

func TestGolden(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, format, sample(), false); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "sample."+format), buf.Bytes())
		})
	}
}

func TestLogColorOnlyWhenAsked(t *testing.T) {
	var plain, colored bytes.Buffer
	if err := Write(&plain, "log", sample(), false); err != nil {
		t.Fatal(err)
	}
	if err := Write(&colored, "log", sample(), true); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) || !bytes.Contains(colored.Bytes(), []byte("\x1b[")) {
		t.Fatal("colour must appear only when asked for")
	}
}

// TestSARIFStructure checks the properties SARIF 2.1.0's schema requires, and what GitHub code scanning
// reads: rule metadata, a physical location with a line for file findings.
func TestSARIFStructure(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "sarif", sample(), false); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["version"] != "2.1.0" || doc["$schema"] == nil {
		t.Fatalf("version/$schema: %v %v", doc["version"], doc["$schema"])
	}
	runs, _ := doc["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("want one run, got %d", len(runs))
	}
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "meshctl" {
		t.Errorf("tool.driver.name = %v", driver["name"])
	}
	rules := map[string]bool{}
	for _, r := range driver["rules"].([]any) {
		rm := r.(map[string]any)
		id, _ := rm["id"].(string)
		if id == "" || rm["helpUri"] == nil || rm["shortDescription"].(map[string]any)["text"] == "" || rm["defaultConfiguration"] == nil {
			t.Errorf("rule without id, helpUri, shortDescription or defaultConfiguration: %v", rm)
		}
		rules[id] = true
	}
	results := run["results"].([]any)
	if len(results) != len(sample().Findings) {
		t.Fatalf("want %d results, got %d", len(sample().Findings), len(results))
	}
	levels := map[string]bool{"none": true, "note": true, "warning": true, "error": true}
	files := 0
	for _, r := range results {
		rm := r.(map[string]any)
		if !rules[rm["ruleId"].(string)] {
			t.Errorf("result's ruleId %v has no rule", rm["ruleId"])
		}
		if !levels[rm["level"].(string)] {
			t.Errorf("bad level %v", rm["level"])
		}
		if rm["message"].(map[string]any)["text"] == "" {
			t.Error("result without message text")
		}
		for _, l := range rm["locations"].([]any) {
			phys, ok := l.(map[string]any)["physicalLocation"].(map[string]any)
			if !ok {
				continue
			}
			files++
			uri := phys["artifactLocation"].(map[string]any)["uri"]
			line := phys["region"].(map[string]any)["startLine"].(float64)
			if uri == "" || line < 1 {
				t.Errorf("physical location without uri or line: %v", phys)
			}
		}
	}
	if files != 2 {
		t.Errorf("want a physical location for the 2 file findings, got %d", files)
	}
}

func TestJUnitFailuresFollowThreshold(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "junit", sample(), false); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 3 || doc.Failures != 1 {
		t.Fatalf("tests=%d failures=%d, want 3 and 1 (only the Error finding fails)", doc.Tests, doc.Failures)
	}
}
