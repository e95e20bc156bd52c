// Package report writes analysis findings as log lines, JSON, YAML, SARIF 2.1.0 or JUnit XML.
package report

import (
	"fmt"
	"io"
	"slices"

	"github.com/fatih/color"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/printer"
)

// Formats are the output formats, the first being the default.
var Formats = []string{"log", "json", "yaml", "sarif", "junit"}

// Report is one run's findings and what it analyzed.
type Report struct {
	Findings      []analyze.Finding `json:"findings"`
	Namespace     string            `json:"namespace,omitempty"`
	AllNamespaces bool              `json:"allNamespaces,omitempty"`
	Objects       int               `json:"objects"`
	// FailureThreshold is the level from which findings fail the run (JUnit failures).
	FailureThreshold analyze.Level `json:"failureThreshold"`
	// Tool is meshctl's version, for SARIF.
	Tool string `json:"-"`
}

// Write prints the report in a format; color applies to the log format only.
func Write(w io.Writer, format string, r Report, useColor bool) error {
	switch format {
	case "log", "":
		return writeLog(w, r, useColor)
	case printer.JSON, printer.YAML:
		return printer.Print(w, format, r)
	case "sarif":
		return writeSARIF(w, r)
	case "junit":
		return writeJUnit(w, r)
	}
	return fmt.Errorf("unknown output format %q: want one of %v", format, Formats)
}

// ValidFormat reports whether format is one Write knows.
func ValidFormat(format string) bool { return slices.Contains(Formats, format) }

func writeLog(w io.Writer, r Report, useColor bool) error {
	paint := map[analyze.Level]*color.Color{analyze.Error: color.New(color.FgRed, color.Bold), analyze.Warning: color.New(color.FgYellow), analyze.Info: color.New(color.FgCyan)}
	for _, f := range r.Findings {
		line := f.String()
		if useColor {
			c := paint[f.Level]
			c.EnableColor()
			level := f.Level.String()
			line = c.Sprint(level) + line[len(level):]
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// Summary is the line printed when nothing is reported, in istioctl's words.
func Summary(r Report) string {
	if r.AllNamespaces {
		return "✔ No validation issues found when analyzing all namespaces."
	}
	return "✔ No validation issues found when analyzing namespace: " + r.Namespace + "."
}
