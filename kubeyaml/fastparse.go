package kubeyaml

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// The fast parser reads the YAML that Kubernetes manifests are made of (block mappings and sequences,
// plain and quoted one-line scalars, literal block scalars, one-line flow collections, comments) about
// five times faster than go.yaml.in/yaml/v3, which dominated the cost of `meshctl analyze` on large inputs.
// It builds the same yaml.Node tree as yaml.v3 (kind, style, tag, value, line, column; comments are not
// kept). Whenever it meets anything else — anchors, tags, folded or multi-line scalars, tabs, CRLF,
// errors — it gives up with errSlow and the document is parsed by yaml.v3, so that yaml.v3 stays the
// authority on YAML. FuzzFastParserAgreesWithYAMLv3 holds its nodes to that, FuzzValueAgreesWithYAMLv3
// the values analyze reads from them.

// fnode is the fast parser's node: the fields of yaml.Node that it fills, in half the memory, so that
// reading values (ObjectValues) need not build yaml.Node trees at all.
type fnode struct {
	Kind         yaml.Kind
	Style        yaml.Style
	Line, Column int32
	Tag, Value   string
	Content      []*fnode
}

// errSlow means the fast parser does not handle this input; it is never shown to users.
var errSlow = errors.New("kubeyaml: input needs the full YAML parser")

type fastParser struct {
	src []byte
	str string // src as a string: scalars are substrings of it, one allocation for all of them
	// The current line: [off, end) without its newline, line is its 1-based number.
	off, end, line int
	// ind is the current line's indentation; col is where parsing resumes on it (>= ind).
	ind, col int
	eof      bool

	slab  []fnode
	ptrs  []*fnode // backing store for Content slices, cut to exact length
	stack []*fnode // children of the collections being parsed
	depth int      // nesting of flow collections
}

// parseFast parses src (one document) into its root node, or returns errSlow.
// Scalars' values are substrings of one copy of src.
func parseFast(src []byte) (root *fnode, err error) {
	// Control characters, non-ASCII text (and its printability rules), tabs and CR are left to yaml.v3.
	nodes := 2 // an estimate of the number of nodes, to allocate them at once
	for _, c := range src {
		switch {
		case c == '\n' || c == ',':
			nodes++
		case c == ':' || c == '-':
			nodes++
		case c < 0x20 || c >= 0x7f:
			return nil, errSlow
		}
	}
	p := &fastParser{src: src, str: string(src), slab: make([]fnode, 0, nodes), ptrs: make([]*fnode, 0, nodes)}
	p.seekLine(0, 1)
	p.skipToContent()
	if p.eof {
		return nil, errSlow
	}
	root, err = p.parseBlock(p.ind, -1)
	if err != nil {
		return nil, err
	}
	if !p.eof {
		return nil, errSlow
	}
	return root, nil
}

func (p *fastParser) newNode(kind yaml.Kind, tag, value string, line, col int) *fnode {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]fnode, 0, 64)
	}
	p.slab = append(p.slab, fnode{Kind: kind, Tag: tag, Value: value, Line: int32(line), Column: int32(col + 1)})
	return &p.slab[len(p.slab)-1]
}

// children moves the nodes pushed on the stack since mark into an exactly sized Content slice.
func (p *fastParser) children(mark int) []*fnode {
	n := len(p.stack) - mark
	if n == 0 {
		return nil
	}
	if len(p.ptrs)+n > cap(p.ptrs) {
		p.ptrs = make([]*fnode, 0, max(256, n))
	}
	c := p.ptrs[len(p.ptrs) : len(p.ptrs)+n : len(p.ptrs)+n]
	p.ptrs = p.ptrs[:len(p.ptrs)+n]
	copy(c, p.stack[mark:])
	p.stack = p.stack[:mark]
	return c
}

// text returns the source between byte offsets as a string without copying.
func (p *fastParser) text(from, to int) string { return p.str[from:to] }

// seekLine makes the line starting at off (numbered line) current, without skipping anything.
func (p *fastParser) seekLine(off, line int) {
	p.off, p.line = off, line
	if off >= len(p.src) {
		p.eof = true
		p.end, p.ind, p.col = off, 0, 0
		return
	}
	end := off
	for end < len(p.src) && p.src[end] != '\n' {
		end++
	}
	p.end = end
	i := off
	for i < end && p.src[i] == ' ' {
		i++
	}
	p.ind = i - off
	p.col = p.ind
}

func (p *fastParser) nextLine() {
	if p.end >= len(p.src) {
		p.seekLine(len(p.src), p.line+1)
		return
	}
	p.seekLine(p.end+1, p.line+1)
}

// skipToContent moves to the first line, from the current one, that has more than blanks and a comment.
func (p *fastParser) skipToContent() {
	for !p.eof {
		i := p.off + p.ind
		if i < p.end && p.src[i] != '#' {
			return
		}
		p.nextLine()
	}
}

// checkLine rejects what the fast parser does not handle on a content line.
func (p *fastParser) checkLine() error {
	line := p.src[p.off:p.end]
	if p.ind == 0 && len(line) >= 3 && (line[0] == '-' && line[1] == '-' && line[2] == '-' || line[0] == '.' && line[1] == '.' && line[2] == '.') || len(line) > 0 && line[0] == '%' {
		return errSlow
	}
	return nil
}

// advance moves past the current line to the next content line.
func (p *fastParser) advance() {
	p.nextLine()
	p.skipToContent()
}

// at returns the byte at column c of the current line, or 0 past its end.
func (p *fastParser) at(c int) byte {
	if i := p.off + c; i < p.end {
		return p.src[i]
	}
	return 0
}

// restBlank reports whether the line from column c is blanks, optionally followed by a comment.
func (p *fastParser) restBlank(c int) bool {
	i := p.off + c
	for i < p.end && p.src[i] == ' ' {
		i++
	}
	return i == p.end || p.src[i] == '#' && (i == p.off+c && c > 0 && p.src[i-1] == ' ' || i > p.off+c)
}

func (p *fastParser) isSeqEntry(c int) bool {
	return p.at(c) == '-' && (p.at(c+1) == ' ' || p.off+c+1 >= p.end)
}

// parseBlock parses the node that starts at p.col of the current content line; parent is the indentation of
// the enclosing block collection (-1 at the root).
func (p *fastParser) parseBlock(indent, parent int) (*fnode, error) {
	if err := p.checkLine(); err != nil {
		return nil, err
	}
	if p.isSeqEntry(p.col) {
		return p.parseSeq(indent)
	}
	if _, _, ok, err := p.scanKey(p.col, false); err != nil {
		return nil, err
	} else if ok {
		return p.parseMap(indent)
	}
	if parent < 0 {
		return nil, errSlow // a document that is a scalar is no Kubernetes object
	}
	return p.parseInline(p.col, parent)
}

func (p *fastParser) parseMap(indent int) (*fnode, error) {
	m := p.newNode(yaml.MappingNode, "!!map", "", p.line, p.col)
	mark := len(p.stack)
	defer func() { m.Content = p.children(mark) }()
	for {
		key, after, ok, err := p.scanKey(p.col, true)
		if err != nil {
			return nil, err
		}
		if !ok || key.Value == "<<" && key.Style == 0 {
			return nil, errSlow
		}
		var val *fnode
		c := after
		for p.at(c) == ' ' {
			c++
		}
		if p.restBlank(after) {
			colonLine, colonCol := p.line, after
			p.advance()
			switch {
			case !p.eof && p.ind > indent:
				val, err = p.parseBlock(p.ind, indent)
			case !p.eof && p.ind == indent && p.isSeqEntry(p.ind):
				if err = p.checkLine(); err == nil {
					val, err = p.parseSeq(indent)
				}
			default:
				val = p.newNode(yaml.ScalarNode, "!!null", "", colonLine, colonCol)
			}
		} else {
			val, err = p.parseInline(c, indent)
		}
		if err != nil {
			return nil, err
		}
		p.stack = append(p.stack, key, val)
		if p.eof || p.ind < indent {
			return m, nil
		}
		if p.ind > indent || p.isSeqEntry(p.ind) {
			return nil, errSlow
		}
		if err := p.checkLine(); err != nil {
			return nil, err
		}
		p.col = p.ind
	}
}

func (p *fastParser) parseSeq(indent int) (*fnode, error) {
	s := p.newNode(yaml.SequenceNode, "!!seq", "", p.line, p.col)
	mark := len(p.stack)
	defer func() { s.Content = p.children(mark) }()
	for {
		c := p.col + 1
		dashEnd := c
		for p.at(c) == ' ' {
			c++
		}
		var item *fnode
		var err error
		switch {
		case p.restBlank(dashEnd):
			dashLine := p.line
			p.advance()
			if !p.eof && p.ind > indent {
				item, err = p.parseBlock(p.ind, indent)
			} else {
				item = p.newNode(yaml.ScalarNode, "!!null", "", dashLine, dashEnd)
			}
		case p.isSeqEntry(c):
			p.col = c
			item, err = p.parseSeq(c)
		default:
			_, _, isKey, kerr := p.scanKey(c, false)
			switch {
			case kerr != nil:
				err = kerr
			case isKey:
				p.col = c
				item, err = p.parseMap(c)
			default:
				item, err = p.parseInline(c, indent)
			}
		}
		if err != nil {
			return nil, err
		}
		p.stack = append(p.stack, item)
		if p.eof || p.ind < indent {
			return s, nil
		}
		if p.ind > indent {
			return nil, errSlow
		}
		if !p.isSeqEntry(p.ind) {
			return s, nil // the next key of a mapping whose value this compact sequence was
		}
		if err := p.checkLine(); err != nil {
			return nil, err
		}
		p.col = p.ind
	}
}

// scanKey reads "key:" at column c: the key node (when build) and the column after the colon.
func (p *fastParser) scanKey(c int, build bool) (key *fnode, after int, ok bool, err error) {
	switch ch := p.at(c); ch {
	case '"', '\'':
		val, end, err := p.scanQuoted(c)
		if err != nil {
			return nil, 0, false, err
		}
		e := end
		for p.at(e) == ' ' {
			e++
		}
		if p.at(e) != ':' || !(p.at(e+1) == ' ' || p.off+e+1 >= p.end) {
			return nil, 0, false, nil
		}
		if end-c > 1000 {
			return nil, 0, false, errSlow // yaml.v3 limits implicit keys, quoted ones too, to 1024 characters
		}
		if !build {
			return nil, e + 1, true, nil
		}
		style := yaml.DoubleQuotedStyle
		if ch == '\'' {
			style = yaml.SingleQuotedStyle
		}
		n := p.newNode(yaml.ScalarNode, "!!str", val, p.line, c)
		n.Style = style
		return n, e + 1, true, nil
	}
	if !plainStart(p.at(c), p.at(c+1), p.off+c+1 >= p.end) {
		return nil, 0, false, nil
	}
	line := p.src[p.off:p.end]
	for i := c; i < len(line); i++ {
		switch line[i] {
		case ':':
			if i+1 == len(line) || line[i+1] == ' ' {
				j := i
				for j > c && line[j-1] == ' ' {
					j--
				}
				if j-c > 1000 {
					return nil, 0, false, errSlow // yaml.v3 limits implicit keys to 1024 characters
				}
				if !build {
					return nil, i + 1, true, nil
				}
				k := p.text(p.off+c, p.off+j)
				return p.newNode(yaml.ScalarNode, resolveTag(k), k, p.line, c), i + 1, true, nil
			}
		case '#':
			if line[i-1] == ' ' {
				return nil, 0, false, nil
			}
		}
	}
	return nil, 0, false, nil
}

// plainStart reports whether a plain scalar may start with c (followed by next) in block context.
func plainStart(c, next byte, atEnd bool) bool {
	switch c {
	case 0, ' ', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '-', '?', ':':
		return !atEnd && next != ' '
	}
	return true
}

func isFlowIndicator(c byte) bool { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}' }

// parseInline parses a scalar or flow collection that starts at column c and ends on this line, then
// moves to the next content line, which must not continue it.
func (p *fastParser) parseInline(c, parent int) (*fnode, error) {
	var n *fnode
	switch ch := p.at(c); ch {
	case '|':
		return p.parseLiteral(c, parent)
	case '"', '\'':
		val, end, err := p.scanQuoted(c)
		if err != nil {
			return nil, err
		}
		if !p.restBlank(end) {
			return nil, errSlow
		}
		n = p.newNode(yaml.ScalarNode, "!!str", val, p.line, c)
		n.Style = yaml.DoubleQuotedStyle
		if ch == '\'' {
			n.Style = yaml.SingleQuotedStyle
		}
	case '[', '{':
		var end int
		var err error
		n, end, err = p.parseFlow(c)
		if err != nil {
			return nil, err
		}
		if !p.restBlank(end) {
			return nil, errSlow
		}
	default:
		if !plainStart(ch, p.at(c+1), p.off+c+1 >= p.end) {
			return nil, errSlow
		}
		line := p.src[p.off:p.end]
		end := len(line)
		for i := c; i < len(line); i++ {
			if line[i] == '#' && line[i-1] == ' ' {
				end = i
				break
			}
			if line[i] == ':' && (i+1 == len(line) || line[i+1] == ' ') {
				return nil, errSlow // "mapping values are not allowed here": let yaml.v3 say so
			}
		}
		for end > c && line[end-1] == ' ' {
			end--
		}
		v := p.text(p.off+c, p.off+end)
		n = p.newNode(yaml.ScalarNode, resolveTag(v), v, p.line, c)
	}
	p.advance()
	if !p.eof && p.ind > parent {
		return nil, errSlow // a multi-line plain scalar, or bad indentation
	}
	return n, nil
}

// scanQuoted reads a quoted scalar that closes on this line; end is the column after the closing quote.
func (p *fastParser) scanQuoted(c int) (val string, end int, err error) {
	line := p.src[p.off:p.end]
	q := line[c]
	var b []byte // nil until an escape forces a copy
	start := c + 1
	for i := start; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == q && q == '\'' && i+1 < len(line) && line[i+1] == '\'':
			b = append(b, line[start:i+1]...)
			i++
			start = i + 1
		case ch == q:
			if b == nil {
				return p.text(p.off+c+1, p.off+i), i + 1, nil
			}
			b = append(b, line[start:i]...)
			return string(b), i + 1, nil
		case ch == '\\' && q == '"':
			if i+1 >= len(line) {
				return "", 0, errSlow
			}
			b = append(b, line[start:i]...)
			r, n := unescape(line[i+1:])
			if n == 0 {
				return "", 0, errSlow
			}
			b = append(b, r...)
			i += n
			start = i + 1
		}
	}
	return "", 0, errSlow // the scalar goes on over the next line
}

// unescape decodes the escape after a backslash; n is the number of bytes it used, 0 when unsupported.
func unescape(s []byte) (out []byte, n int) {
	switch s[0] {
	case '\\', '"', '/':
		return s[:1], 1
	case 'n':
		return []byte{'\n'}, 1
	case 't':
		return []byte{'\t'}, 1
	case 'r':
		return []byte{'\r'}, 1
	case '0':
		return []byte{0}, 1
	case ' ':
		return []byte{' '}, 1
	case 'u':
		if len(s) < 5 {
			return nil, 0
		}
		v, err := strconv.ParseUint(string(s[1:5]), 16, 32)
		if err != nil || v >= 0xD800 && v <= 0xDFFF {
			return nil, 0
		}
		return utf8.AppendRune(nil, rune(v)), 5
	}
	return nil, 0
}

// parseLiteral reads a "|" or "|-" block scalar whose header is at column c.
func (p *fastParser) parseLiteral(c, parent int) (*fnode, error) {
	n := p.newNode(yaml.ScalarNode, "!!str", "", p.line, c)
	n.Style = yaml.LiteralStyle
	h := c + 1
	strip := false
	if p.at(h) == '-' {
		strip = true
		h++
	}
	if p.at(h) != ' ' && p.off+h < p.end || !p.restBlank(h) {
		return nil, errSlow // keep (+), indentation indicators, or text after the header
	}
	// Find the content indentation: that of the first non-blank line.
	p.nextLine()
	indent, maxBlank := -1, 0
	for off := p.off; off < len(p.src); {
		end := off
		for end < len(p.src) && p.src[end] != '\n' {
			end++
		}
		sp := 0
		for off+sp < end && p.src[off+sp] == ' ' {
			sp++
		}
		if off+sp < end {
			indent = sp
			break
		}
		maxBlank = max(maxBlank, sp)
		off = end + 1
	}
	if indent <= parent || maxBlank > indent {
		return nil, errSlow
	}
	var b strings.Builder
	pendingBreaks := 0
	content, lastBroken := false, false
	for !p.eof {
		line := p.src[p.off:p.end]
		sp := 0
		for sp < len(line) && line[sp] == ' ' {
			sp++
		}
		switch {
		case sp == len(line) && sp <= indent: // an empty line
			pendingBreaks++
		case sp < indent: // less indented text ends the scalar
			goto done
		default:
			for _, ch := range line {
				if ch == '\r' {
					return nil, errSlow
				}
			}
			if content {
				pendingBreaks++
			}
			for ; pendingBreaks > 0; pendingBreaks-- {
				b.WriteByte('\n')
			}
			b.Write(line[indent:])
			content, lastBroken = true, p.end < len(p.src)
		}
		p.nextLine()
	}
done:
	if content && !strip && lastBroken {
		b.WriteByte('\n')
	}
	n.Value = b.String()
	p.skipToContent()
	if !p.eof && p.ind > parent {
		return nil, errSlow
	}
	return n, nil
}

// parseFlow reads a one-line flow sequence or mapping at column c; end is the column after it.
func (p *fastParser) parseFlow(c int) (n *fnode, end int, err error) {
	if p.depth++; p.depth > 50 {
		return nil, 0, errSlow
	}
	defer func() { p.depth-- }()
	open := p.at(c)
	node := p.newNode(yaml.MappingNode, "!!map", "", p.line, c)
	if open == '[' {
		node.Kind, node.Tag = yaml.SequenceNode, "!!seq"
	}
	node.Style = yaml.FlowStyle
	n = node
	mark := len(p.stack)
	defer func() { node.Content = p.children(mark) }()
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	i := p.skipSpaces(c + 1)
	if p.at(i) == closer {
		return n, i + 1, nil
	}
	for {
		item, next, err := p.flowItem(i, open == '{')
		if err != nil {
			return nil, 0, err
		}
		p.stack = append(p.stack, item)
		i = p.skipSpaces(next)
		if open == '{' {
			if item.Kind != yaml.ScalarNode || item.Style == 0 && item.Value == "<<" {
				return nil, 0, errSlow
			}
			if p.at(i) != ':' || p.at(i+1) != ' ' {
				return nil, 0, errSlow
			}
			i = p.skipSpaces(i + 1)
			val, next, err := p.flowItem(i, false)
			if err != nil {
				return nil, 0, err
			}
			p.stack = append(p.stack, val)
			i = p.skipSpaces(next)
		}
		switch p.at(i) {
		case ',':
			i = p.skipSpaces(i + 1)
			if p.at(i) == closer || p.at(i) == ',' {
				return nil, 0, errSlow
			}
		case closer:
			return n, i + 1, nil
		default:
			return nil, 0, errSlow
		}
	}
}

func (p *fastParser) skipSpaces(i int) int {
	for p.at(i) == ' ' {
		i++
	}
	return i
}

// flowItem reads one scalar or nested collection inside a flow collection; a key ends at ": ".
func (p *fastParser) flowItem(c int, key bool) (*fnode, int, error) {
	switch ch := p.at(c); ch {
	case '[', '{':
		return p.parseFlow(c)
	case '"', '\'':
		val, end, err := p.scanQuoted(c)
		if err != nil {
			return nil, 0, err
		}
		n := p.newNode(yaml.ScalarNode, "!!str", val, p.line, c)
		n.Style = yaml.DoubleQuotedStyle
		if ch == '\'' {
			n.Style = yaml.SingleQuotedStyle
		}
		return n, end, nil
	}
	// In a flow collection yaml.v3 reads "?" and ":" as indicators whatever follows, and "-" before "]" too.
	if !plainStart(p.at(c), p.at(c+1), p.off+c+1 >= p.end) || p.at(c) == '?' || p.at(c) == ':' || p.at(c) == '-' && isFlowIndicator(p.at(c+1)) {
		return nil, 0, errSlow
	}
	line := p.src[p.off:p.end]
	i := c
loop:
	for ; i < len(line); i++ {
		switch line[i] {
		case ',', '[', ']', '{', '}':
			break loop
		case ':':
			if key && i+1 < len(line) && line[i+1] == ' ' {
				break loop
			}
			return nil, 0, errSlow
		case '#', '?': // yaml.v3 ends a plain scalar in a flow collection at "?"
			return nil, 0, errSlow
		}
	}
	e := i
	for e > c && line[e-1] == ' ' {
		e--
	}
	v := p.text(p.off+c, p.off+e)
	return p.newNode(yaml.ScalarNode, resolveTag(v), v, p.line, c), i, nil
}

// resolveTag is the tag yaml.v3 gives an untagged plain scalar, answered here for the common cases
// (words, small decimal integers) and by yaml.v3 itself for anything that might be a number or date.
func resolveTag(v string) string {
	if v == "" {
		return "!!null"
	}
	if v == "<<" {
		return "!!merge" // yaml.v3 tags it so wherever it stands
	}
	switch c := v[0]; {
	case (c == '+' || c == '-') && len(v) > 1 && v[1] == '.':
		// -.inf, +.5: let yaml.v3 decide
	case c >= '0' && c <= '9', c == '+', c == '-':
		if isSmallDecimal(v) {
			return "!!int"
		}
		if !mayBeNumberOrDate(v) {
			return "!!str" // 100m, 128Mi, 1.0.3-rc: spare yaml.v3's regexp
		}
	case c == '.':
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		// yaml.v3 resolves these only by exact match.
		switch v {
		case "true", "True", "TRUE", "false", "False", "FALSE":
			return "!!bool"
		case "~", "null", "Null", "NULL":
			return "!!null"
		}
		return "!!str"
	default:
		return "!!str"
	}
	n := yaml.Node{Kind: yaml.ScalarNode, Value: v}
	return n.ShortTag()
}

// mayBeNumberOrDate is false when v has a character that no YAML int, float or timestamp can contain.
func mayBeNumberOrDate(v string) bool {
	if len(v) > 4 && v[4] == '-' {
		return true // yyyy-mm-dd...: let yaml.v3 decide
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case strings.IndexByte("xXoO_.+-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// isSmallDecimal matches [-+]?[1-9][0-9]{0,17} and 0: integers whatever base rules yaml.v3 applies.
func isSmallDecimal(v string) bool {
	if v[0] == '-' || v[0] == '+' {
		v = v[1:]
	}
	if v == "0" {
		return true
	}
	if v == "" || len(v) > 18 || v[0] == '0' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}
