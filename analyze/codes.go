package analyze

import (
	"slices"
	"strings"
)

// Code describes one kind of finding. IST codes have the meaning Istio gives them; MSH codes are meshctl's
// own, for problems Istio's analyzers do not report (MSH1001-MSH1099 input problems, MSH1100-MSH1199
// configuration problems).
type Code struct {
	ID    string
	Name  string
	Level Level
	// Description says what the code means, in one sentence.
	Description string
	// Example is a message the code produces, and Input an input that produces it (docs only).
	Example, Input string
	// Fix says how to resolve it (docs only).
	Fix string
	// CheckedBy names the command that reports the code when analyze does not (meshctl x precheck).
	CheckedBy string
}

// DocsBase is where the page for each code lives: docs/analysis/<code>.md in the repository.
const DocsBase = "https://github.com/meshctl/meshctl/blob/main/docs/analysis/"

// DocURL is the page explaining the code and its fix.
func (c Code) DocURL() string { return DocsBase + c.ID + ".md" }

// LookupCode returns the code with the given ID (case-insensitive).
func LookupCode(id string) (Code, bool) {
	for _, c := range codeTable {
		if strings.EqualFold(c.ID, id) {
			return c, true
		}
	}
	return Code{}, false
}

// Codes returns every code, sorted by ID.
func Codes() []Code {
	out := slices.Clone(codeTable)
	slices.SortFunc(out, func(a, b Code) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// MustCode is LookupCode for the analyzers' own constants; an unknown code is a programming error.
func MustCode(id string) Code {
	c, ok := LookupCode(id)
	if !ok {
		panic("analyze: unknown code " + id)
	}
	return c
}
