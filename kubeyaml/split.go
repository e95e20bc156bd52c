package kubeyaml

import "bytes"

// Split cuts an in-memory YAML stream into its non-empty documents, as Reader does, without copying:
// each Document's Raw is a slice of data. It jumps from separator to separator instead of reading line by
// line, because rendered manifests are mostly a few very large documents (CRDs).
func Split(data []byte, source string) []*Document {
	var docs []*Document
	s := splitter{data: data, dash: -1, dots: -1}
	start, startLine := 0, 1 // the current document's region and the line it begins on
	for start <= len(data) {
		sep := s.nextSeparator(start)
		if c := firstContent(data[start:sep]); c >= 0 {
			line := startLine + bytes.Count(data[start:start+c], []byte{'\n'})
			docs = append(docs, &Document{Source: source, Line: line, Index: len(docs), Raw: data[start+c : sep]})
		}
		if sep == len(data) {
			break
		}
		startLine += bytes.Count(data[start:sep], []byte{'\n'}) + 1
		end := bytes.IndexByte(data[sep:], '\n')
		if end < 0 {
			break
		}
		start = sep + end + 1
	}
	return docs
}

// splitter remembers where the next "---" and "..." at the start of a line are, so that each byte of the
// input is searched once for each mark however many documents there are.
type splitter struct {
	data       []byte
	dash, dots int // offset of the next mark at a line start, len(data) for none, -1 before the first search
}

// nextSeparator returns the offset of the next separator line at or after from, or len(data).
func (s *splitter) nextSeparator(from int) int {
	for {
		if s.dash < from {
			s.dash = s.markAtLineStart(from, "---")
		}
		if s.dots < from {
			s.dots = s.markAtLineStart(from, "...")
		}
		k := min(s.dash, s.dots)
		if k == len(s.data) {
			return k
		}
		line := s.data[k:]
		if end := bytes.IndexByte(line, '\n'); end >= 0 {
			line = line[:end+1]
		}
		if isSeparator(line) {
			return k
		}
		from = k + 1 // "----" or "...text": not a separator, look further
	}
}

// markAtLineStart finds the next occurrence of mark at or after from that begins a line, or len(data).
func (s *splitter) markAtLineStart(from int, mark string) int {
	for from < len(s.data) {
		k := bytes.Index(s.data[from:], []byte(mark))
		if k < 0 {
			return len(s.data)
		}
		k += from
		if k == 0 || s.data[k-1] == '\n' {
			return k
		}
		from = k + 1
	}
	return len(s.data)
}

// firstContent returns the offset of the first line of region that is more than blanks or a comment.
func firstContent(region []byte) int {
	for off := 0; off < len(region); {
		end := bytes.IndexByte(region[off:], '\n')
		next := len(region)
		if end >= 0 {
			next = off + end + 1
		}
		if hasContent(region[off:next]) {
			return off
		}
		off = next
	}
	return -1
}
