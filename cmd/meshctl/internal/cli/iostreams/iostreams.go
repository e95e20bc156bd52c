// Package iostreams holds meshctl's rules for its standard streams: what counts as a terminal, and the one
// colour rule every command follows.
package iostreams

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IsTerminal reports whether s (a reader or a writer) is a terminal: prompts, spinners and colour are only
// for terminals.
func IsTerminal(s any) bool {
	file, ok := s.(*os.File)
	return ok && (isatty.IsTerminal(file.Fd()) || isatty.IsCygwinTerminal(file.Fd()))
}

// Color reports whether to colour what is written to w. NO_COLOR (https://no-color.org) always turns colour
// off. Otherwise a command's --color flag decides when the user gave it (flag is nil when not), else
// colour is for terminals, unless TERM=dumb.
func Color(w io.Writer, getenv func(string) string, flag *bool) bool {
	switch {
	case getenv("NO_COLOR") != "":
		return false
	case flag != nil:
		return *flag
	}
	return getenv("TERM") != "dumb" && IsTerminal(w)
}
