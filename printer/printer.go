// Package printer is the one output path for data: -o yaml|json|table. Commands and the libraries that
// write reports (analyze/report) share it, so that every JSON or YAML document is encoded the same way.
package printer

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"sigs.k8s.io/yaml"
)

// Formats every printer understands; a command may accept a subset or add its own (log, sarif, ...).
const (
	YAML  = "yaml"
	JSON  = "json"
	Table = "table"
)

// Tabular is implemented by values that can print as a table.
type Tabular interface {
	TableHeader() []string
	TableRows() [][]string
}

// Validate returns a usage-style error when format is not one of allowed.
func Validate(format string, allowed ...string) error {
	if slices.Contains(allowed, format) {
		return nil
	}
	return fmt.Errorf("unknown output format %q: want one of %s", format, strings.Join(allowed, ", "))
}

// Print writes v to w in format: exactly one JSON or YAML document, or a table for a Tabular v.
func Print(w io.Writer, format string, v any) error {
	switch format {
	case JSON:
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encode json: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case YAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode yaml: %w", err)
		}
		_, err = w.Write(b)
		return err
	case Table:
		t, ok := v.(Tabular)
		if !ok {
			return fmt.Errorf("%T cannot be printed as a table", v)
		}
		return WriteTable(w, t.TableHeader(), t.TableRows())
	default:
		return fmt.Errorf("unknown output format %q", format)
	}
}

// WriteTable prints plain, kubectl-like columns.
func WriteTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Lines: tw.LinesNone, Separators: tw.SeparatorsNone},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	t.Header(header)
	for _, r := range rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	return t.Render()
}
