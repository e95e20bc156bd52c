package curl

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// segment is one piece of a -w format: literal text, a %{variable}, a %header{name}, or a switch of
// the output stream (%{stderr}, %{stdout}).
type segment struct {
	kind segmentKind
	text string // the literal, the variable's or the header's name
}

type segmentKind int

const (
	literal segmentKind = iota
	variable
	header
)

// ParseWriteOut splits a -w format into its pieces: %{name}, %header{name}, %% and the escapes \n \r
// \t \\. Anything else is literal, as curl prints it.
func ParseWriteOut(format string) []segment {
	var segs []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{kind: literal, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '%' && i+1 < len(format) && format[i+1] == '%':
			lit.WriteByte('%')
			i++
		case c == '%' && strings.HasPrefix(format[i+1:], "{"):
			end := strings.IndexByte(format[i+2:], '}')
			if end < 0 {
				lit.WriteString(format[i:])
				i = len(format)
				continue
			}
			flush()
			segs = append(segs, segment{kind: variable, text: format[i+2 : i+2+end]})
			i += 2 + end
		case c == '%' && strings.HasPrefix(format[i+1:], "header{"):
			rest := format[i+len("%header{"):]
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				lit.WriteString(format[i:])
				i = len(format)
				continue
			}
			flush()
			segs = append(segs, segment{kind: header, text: rest[:end]})
			i += len("%header{") + end
		case c == '\\' && i+1 < len(format):
			switch format[i+1] {
			case 'n':
				lit.WriteByte('\n')
			case 'r':
				lit.WriteByte('\r')
			case 't':
				lit.WriteByte('\t')
			case '\\':
				lit.WriteByte('\\')
			default:
				lit.WriteByte('\\')
				lit.WriteByte(format[i+1])
			}
			i++
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return segs
}

// result is what -w can print about one transfer.
type result struct {
	method, urlEffective, scheme string
	status                       int // 0 when no response arrived
	proto                        string
	header                       http.Header
	remoteIP, remotePort         string
	localIP, localPort           string
	sizeDownload, sizeHeader     int64
	sizeUpload, sizeRequest      int64
	redirects                    int
	redirectURL                  string
	connects                     int
	// times from the start of the transfer
	nameLookup, connect, appConnect, preTransfer, startTransfer, total, redirect time.Duration
	err                                                                          *Error
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }

// value is the text of -w variable name; ok is false for a variable curl does not have.
func (r *result) value(name string) (string, bool) {
	switch name {
	case "http_code", "response_code":
		return fmt.Sprintf("%03d", r.status), true
	case "http_connect":
		return "000", true
	case "http_version":
		switch r.proto {
		case "HTTP/2.0":
			return "2", true
		case "HTTP/1.0":
			return "1", true
		case "":
			return "0", true
		}
		return "1.1", true
	case "method":
		return r.method, true
	case "scheme":
		return strings.ToUpper(r.scheme), true
	case "url", "url_effective":
		return r.urlEffective, true
	case "redirect_url":
		return r.redirectURL, true
	case "content_type":
		return r.header.Get("Content-Type"), true
	case "remote_ip":
		return r.remoteIP, true
	case "remote_port":
		return r.remotePort, true
	case "local_ip":
		return r.localIP, true
	case "local_port":
		return r.localPort, true
	case "num_connects":
		return strconv.Itoa(r.connects), true
	case "num_redirects":
		return strconv.Itoa(r.redirects), true
	case "size_download":
		return strconv.FormatInt(r.sizeDownload, 10), true
	case "size_header":
		return strconv.FormatInt(r.sizeHeader, 10), true
	case "size_upload":
		return strconv.FormatInt(r.sizeUpload, 10), true
	case "size_request":
		return strconv.FormatInt(r.sizeRequest, 10), true
	case "speed_download":
		return speed(r.sizeDownload, r.total), true
	case "speed_upload":
		return speed(r.sizeUpload, r.total), true
	case "time_namelookup":
		return secs(r.nameLookup), true
	case "time_connect":
		return secs(r.connect), true
	case "time_appconnect":
		return secs(r.appConnect), true
	case "time_pretransfer":
		return secs(r.preTransfer), true
	case "time_starttransfer":
		return secs(r.startTransfer), true
	case "time_redirect":
		return secs(r.redirect), true
	case "time_total":
		return secs(r.total), true
	case "exitcode":
		if r.err == nil {
			return "0", true
		}
		return strconv.Itoa(r.err.Code), true
	case "errormsg":
		if r.err == nil {
			return "", true
		}
		return r.err.Msg, true
	}
	return "", false
}

func speed(n int64, d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64(float64(n)/d.Seconds()), 10)
}

// writeOut prints the -w segments for r to stdout, or to stderr after %{stderr}. Unknown variables are
// left out with a warning on stderr, as curl does.
func writeOut(segs []segment, r *result, stdout, stderr io.Writer) {
	w := stdout
	for _, s := range segs {
		switch s.kind {
		case literal:
			io.WriteString(w, s.text)
		case header:
			io.WriteString(w, strings.Join(r.header.Values(s.text), ", "))
		case variable:
			switch s.text {
			case "stdout":
				w = stdout
				continue
			case "stderr":
				w = stderr
				continue
			}
			if v, ok := r.value(s.text); ok {
				io.WriteString(w, v)
			} else {
				fmt.Fprintf(stderr, "curl: unknown --write-out variable: '%s'\n", s.text)
			}
		}
	}
}
