package kubeyaml

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Reader splits a YAML stream into documents as it reads, holding one document in memory at a time.
type Reader struct {
	r      *bufio.Reader
	source string
	line   int // lines consumed so far
	index  int
	done   bool
}

// NewReader reads documents of source (a path, or "-") from r.
func NewReader(r io.Reader, source string) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), source: source}
}

// Next returns the next non-empty document, or io.EOF. Documents holding only comments and blank
// lines are skipped.
func (r *Reader) Next() (*Document, error) {
	for !r.done {
		doc, err := r.readDocument()
		if err != nil {
			return nil, err
		}
		if doc != nil {
			doc.Index = r.index
			r.index++
			return doc, nil
		}
	}
	return nil, io.EOF
}

// readDocument reads up to the next separator; it returns nil for an empty document.
func (r *Reader) readDocument() (*Document, error) {
	var buf bytes.Buffer
	contentStart := 0
	for {
		line, err := r.r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s: %w", r.source, err)
		}
		if len(line) == 0 && err != nil {
			r.done = true
			break
		}
		r.line++
		if isSeparator(line) {
			if contentStart == 0 {
				// A "---" before any content opens this document rather than closing an empty one.
				continue
			}
			break
		}
		if contentStart == 0 {
			if !hasContent(line) {
				continue // leading comments and blank lines are not part of Raw, so Raw's line 1 is Line
			}
			contentStart = r.line
		}
		buf.Write(line)
		if err != nil {
			r.done = true
			break
		}
	}
	if contentStart == 0 {
		return nil, nil
	}
	return &Document{Source: r.source, Line: contentStart, Raw: buf.Bytes()}, nil
}

// isSeparator matches "---" alone on a line (optionally followed by blanks or a comment) and the
// "..." end-of-document marker.
func isSeparator(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	for _, mark := range [][]byte{[]byte("---"), []byte("...")} {
		if !bytes.HasPrefix(line, mark) {
			continue
		}
		rest := bytes.TrimLeft(line[3:], " \t")
		if len(rest) == 0 || rest[0] == '#' {
			return true
		}
	}
	return false
}

// hasContent reports whether a line is more than blanks or a comment.
func hasContent(line []byte) bool {
	t := bytes.TrimLeft(line, " \t\r\n")
	return len(t) > 0 && t[0] != '#'
}
