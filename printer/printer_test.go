package printer

import (
	"bytes"
	"strings"
	"testing"
)

type rows []struct{ Name, Description string }

func (r rows) TableHeader() []string { return []string{"NAME", "DESCRIPTION"} }
func (r rows) TableRows() [][]string {
	out := make([][]string, len(r))
	for i, x := range r {
		out[i] = []string{x.Name, x.Description}
	}
	return out
}

func TestPrint(t *testing.T) {
	v := rows{{"demo", "everything on"}, {"minimal", "istiod only"}}
	for _, tc := range []struct {
		format, want string
	}{
		{JSON, "[\n  {\n    \"Name\": \"demo\",\n    \"Description\": \"everything on\"\n  },\n  {\n    \"Name\": \"minimal\",\n    \"Description\": \"istiod only\"\n  }\n]\n"},
		{YAML, "- Description: everything on\n  Name: demo\n- Description: istiod only\n  Name: minimal\n"},
		{Table, " NAME     DESCRIPTION   \n demo     everything on \n minimal  istiod only   \n"},
	} {
		var buf bytes.Buffer
		if err := Print(&buf, tc.format, v); err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		if buf.String() != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", tc.format, buf.String(), tc.want)
		}
	}
	if err := Print(&bytes.Buffer{}, Table, map[string]int{}); err == nil {
		t.Error("a value that is not Tabular printed as a table")
	}
	if err := Validate("xml", JSON, YAML); err == nil || !strings.Contains(err.Error(), "want one of json, yaml") {
		t.Errorf("Validate: %v", err)
	}
}
