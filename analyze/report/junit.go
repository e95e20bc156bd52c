package report

import (
	"encoding/xml"
	"fmt"
	"io"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes one test case per finding: a failure at or above the failure threshold, a passing
// case with the message as output below it; a run without findings is one passing case.
func writeJUnit(w io.Writer, r Report) error {
	suite := junitSuite{Name: "meshctl analyze"}
	for _, f := range r.Findings {
		tc := junitCase{Name: fmt.Sprintf("%s %s", f.Code, f.Resource.Display()), Classname: f.Resource.Kind, File: f.Origin.File, Line: f.Origin.Line}
		if f.Level >= r.FailureThreshold {
			tc.Failure = &junitFailure{Message: f.Message, Type: f.Level.String(), Text: f.String() + "\n" + f.Documentation}
			suite.Failures++
		} else {
			tc.SystemOut = f.String()
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if len(suite.Cases) == 0 {
		suite.Cases = append(suite.Cases, junitCase{Name: Summary(r), Classname: "analyze"})
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "meshctl analyze", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
