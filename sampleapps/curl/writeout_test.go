package curl

import (
	"bytes"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseWriteOut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []segment
	}{
		{"%{http_code}", []segment{{variable, "http_code"}}},
		{`%{http_code}\n`, []segment{{variable, "http_code"}, {literal, "\n"}}},
		{"code=%{response_code} t=%{time_total}s\\t%%\\x", []segment{
			{literal, "code="}, {variable, "response_code"}, {literal, " t="}, {variable, "time_total"}, {literal, "s\t%\\x"}}},
		{"%header{content-type}|%{stderr}err", []segment{{header, "content-type"}, {literal, "|"}, {variable, "stderr"}, {literal, "err"}}},
		{"100% sure %{unclosed", []segment{{literal, "100% sure %{unclosed"}}},
		{"\\", []segment{{literal, "\\"}}},
	} {
		if got := ParseWriteOut(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseWriteOut(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestWriteOut(t *testing.T) {
	r := &result{
		status: 503, method: "GET", urlEffective: "http://h/x", scheme: "http", proto: "HTTP/1.1",
		header:   http.Header{"Content-Type": {"text/plain"}, "X-Envoy-Upstream-Service-Time": {"12"}},
		remoteIP: "10.0.0.7", remotePort: "9080", total: 1500 * time.Millisecond, sizeDownload: 19,
		err: &Error{Code: 22, Msg: "The requested URL returned error: 503"},
	}
	var out, errs bytes.Buffer
	writeOut(ParseWriteOut(`%{http_code} %{time_total} %{size_download} %{remote_ip}:%{remote_port} %{content_type} %header{x-envoy-upstream-service-time} %{exitcode} %{http_version} %{nope}%{stderr}%{errormsg}`), r, &out, &errs)
	if got, want := out.String(), "503 1.500000 19 10.0.0.7:9080 text/plain 12 22 1.1 "; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if got, want := errs.String(), "curl: unknown --write-out variable: 'nope'\nThe requested URL returned error: 503"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	out.Reset()
	writeOut(ParseWriteOut("%{http_code}"), &result{}, &out, &errs)
	if out.String() != "000" {
		t.Errorf("no response: %q, want 000", out.String())
	}
}

func FuzzParseWriteOut(f *testing.F) {
	for _, s := range []string{"%{http_code}\\n", "%header{a}%{", "%%{x}", "\\\\n%", "%header{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, format string) {
		segs := ParseWriteOut(format)
		// Without variables the output is the literal text with the escapes undone: never longer.
		var b strings.Builder
		for _, s := range segs {
			if s.kind == literal {
				if s.text == "" {
					t.Fatalf("ParseWriteOut(%q): empty literal", format)
				}
				b.WriteString(s.text)
			}
		}
		if b.Len() > len(format) {
			t.Fatalf("ParseWriteOut(%q): literals longer than the format", format)
		}
		var out, errs bytes.Buffer
		writeOut(segs, &result{}, &out, &errs)
	})
}
