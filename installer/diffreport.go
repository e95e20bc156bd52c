package installer

import (
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"

	"github.com/meshctl/meshctl/printer"
)

// DiffReportOptions say how WriteDiff prints.
type DiffReportOptions struct {
	// Out gets the data: unified diffs, or one JSON or YAML document.
	Out io.Writer
	// ErrOut gets the one-line summary after unified diffs.
	ErrOut io.Writer
	// Format is "" for unified diffs, or printer.JSON or printer.YAML.
	Format string
	// Color colours unified diffs: removed lines red, added green, file headers bold.
	Color bool
}

// WriteDiff prints what Diff found, as `manifest diff` and `install --dry-run --diff` show it.
func WriteDiff(res *DiffResult, o DiffReportOptions) error {
	if o.Format != "" {
		return printer.Print(o.Out, o.Format, res)
	}
	if err := writeUnified(o.Out, res, o.Color); err != nil {
		return err
	}
	var err error
	if len(res.Objects) == 0 {
		_, err = fmt.Fprintf(o.ErrOut, "No differences: all %d objects on the cluster are as install would apply them.\n", res.Unchanged)
	} else {
		_, err = fmt.Fprintf(o.ErrOut, "%d object(s) differ, %d unchanged.\n", len(res.Objects), res.Unchanged)
	}
	return err
}

func writeUnified(w io.Writer, res *DiffResult, colored bool) error {
	red, green, bold := color.New(color.FgRed), color.New(color.FgGreen), color.New(color.Bold)
	for _, c := range []*color.Color{red, green, bold} {
		if colored {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	for _, d := range res.Objects {
		for _, line := range strings.SplitAfter(d.Diff, "\n") {
			var err error
			switch {
			case line == "":
			case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
				_, err = bold.Fprint(w, line)
			case strings.HasPrefix(line, "-"):
				_, err = red.Fprint(w, line)
			case strings.HasPrefix(line, "+"):
				_, err = green.Fprint(w, line)
			default:
				_, err = fmt.Fprint(w, line)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
