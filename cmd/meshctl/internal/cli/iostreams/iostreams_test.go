package iostreams

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// A terminal cannot be had in a test; the cases are everything around it.
func TestColor(t *testing.T) {
	on, off := true, false
	env := func(key, value string) func(string) string {
		return func(k string) string {
			if k == key {
				return value
			}
			return ""
		}
	}
	file, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, tc := range []struct {
		name   string
		w      io.Writer
		getenv func(string) string
		flag   *bool
		want   bool
	}{
		{"a buffer is no terminal", &bytes.Buffer{}, env("", ""), nil, false},
		{"a file is no terminal", file, env("", ""), nil, false},
		{"--color on a pipe", &bytes.Buffer{}, env("", ""), &on, true},
		{"--color with TERM=dumb", &bytes.Buffer{}, env("TERM", "dumb"), &on, true},
		{"--color=false", &bytes.Buffer{}, env("", ""), &off, false},
		{"NO_COLOR beats --color", &bytes.Buffer{}, env("NO_COLOR", "1"), &on, false},
	} {
		if got := Color(tc.w, tc.getenv, tc.flag); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if IsTerminal(file) || IsTerminal(&bytes.Buffer{}) {
		t.Error("a file or a buffer taken for a terminal")
	}
}
