// Package kubeyaml reads Kubernetes YAML input (files, directories, stdin) as a stream of documents that
// remember where they came from, so that every error and finding can name the file and the line.
//
// Every reader of user YAML (meshctl's commands, and meshd's webhooks) goes through a Document's Node,
// Value, Objects or ObjectValues: they refuse hostile input (an alias bomb, an alias inside its own
// anchor) before expanding anything, with ErrTooManyAliases at the file and line (aliases.go).
package kubeyaml

// Document is one YAML document of an input stream.
type Document struct {
	// Source is the file path, or "-" for standard input.
	Source string
	// Line is the 1-based line of the document's first line within Source.
	Line int
	// Index is the 0-based position of the document among the non-empty documents of Source.
	Index int
	// Raw is the document's text without its "---" separator.
	Raw []byte
}

// Position returns "source:line" for messages.
func (d *Document) Position() string { return position(d.Source, d.Line) }
