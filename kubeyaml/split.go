package kubeyaml

import "bytes"

// Split cuts an in-memory YAML stream into its non-empty documents, as Reader does, without copying:
// each Document's Raw is a slice of data. It jumps from separator to separator instead of reading line by
// line, because rendered manifests are mostly a few very large documents (CRDs).
func Split(data []byte, source string) []*Document {
	var docs []*Document
	start, startLine := 0, 1 // the current document's region and the line it begins on
	for start <= len(data) {
		sep := nextSeparator(data, start)
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

// nextSeparator returns the offset of the next separator line at or after from, or len(data).
func nextSeparator(data []byte, from int) int {
	dash, dots := from, from // next candidate offsets of "---" and "...", searched independently
	for {
		k := nextAtLineStart(data, &dash, "---")
		d := nextAtLineStart(data, &dots, "...")
		if k < 0 || (d >= 0 && d < k) {
			k = d
		}
		if k < 0 {
			return len(data)
		}
		line := data[k:]
		if end := bytes.IndexByte(line, '\n'); end >= 0 {
			line = line[:end+1]
		}
		if isSeparator(line) {
			return k
		}
		if k == dash {
			dash++
		} else {
			dots++
		}
	}
}

// nextAtLineStart moves *at to the next occurrence of mark that begins a line and returns it, or -1.
func nextAtLineStart(data []byte, at *int, mark string) int {
	for *at < len(data) {
		k := bytes.Index(data[*at:], []byte(mark))
		if k < 0 {
			*at = len(data)
			return -1
		}
		k += *at
		if k == 0 || data[k-1] == '\n' {
			*at = k
			return k
		}
		*at = k + 1
	}
	return -1
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
