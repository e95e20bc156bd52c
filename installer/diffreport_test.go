package installer

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestWriteDiff(t *testing.T) {
	res := &DiffResult{Objects: []ObjectDiff{{
		Object: "Deployment/istio-system/istiod", Change: ChangeChanged,
		Diff: "--- live/Deployment/istio-system/istiod\n+++ install/Deployment/istio-system/istiod\n@@ -1,2 +1,2 @@\n spec:\n-  replicas: 1\n+  replicas: 2\n",
	}}, Unchanged: 41}
	for _, tc := range []struct {
		name, format   string
		color          bool
		stdout, stderr string
	}{
		{"plain", "", false, res.Objects[0].Diff, "1 object(s) differ, 41 unchanged.\n"},
		{"coloured", "", true,
			"\x1b[1m--- live/Deployment/istio-system/istiod\n\x1b[0m\x1b[1m+++ install/Deployment/istio-system/istiod\n\x1b[0m@@ -1,2 +1,2 @@\n spec:\n" +
				"\x1b[31m-  replicas: 1\n\x1b[0m\x1b[32m+  replicas: 2\n\x1b[0m",
			"1 object(s) differ, 41 unchanged.\n"},
	} {
		var out, errOut bytes.Buffer
		if err := WriteDiff(res, DiffReportOptions{Out: &out, ErrOut: &errOut, Format: tc.format, Color: tc.color}); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.stdout || errOut.String() != tc.stderr {
			t.Errorf("%s:\nstdout %q\nwant   %q\nstderr %q\nwant   %q", tc.name, out.String(), tc.stdout, errOut.String(), tc.stderr)
		}
	}

	var out, errOut bytes.Buffer
	if err := WriteDiff(&DiffResult{Unchanged: 42}, DiffReportOptions{Out: &out, ErrOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 || errOut.String() != "No differences: all 42 objects on the cluster are as install would apply them.\n" {
		t.Errorf("no differences: stdout %q, stderr %q", out.String(), errOut.String())
	}

	// -o json is one document, with no summary on stderr.
	out.Reset()
	errOut.Reset()
	if err := WriteDiff(res, DiffReportOptions{Out: &out, ErrOut: &errOut, Format: "json", Color: true}); err != nil {
		t.Fatal(err)
	}
	var doc DiffResult
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.Objects) != 1 || doc.Unchanged != 41 || errOut.Len() != 0 {
		t.Errorf("json: %v, %+v, stderr %q", err, doc, errOut.String())
	}
}
