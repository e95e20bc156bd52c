package curl

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	ua := "agent"
	for _, tc := range []struct {
		args []string
		want Options
	}{
		{[]string{"-sS", "http://productpage:9080/productpage"},
			Options{Silent: true, ShowError: true, URLs: []string{"http://productpage:9080/productpage"}}},
		{[]string{"productpage:9080/productpage", "-s", "-o", "/dev/null", "-w", "%{http_code}\n"},
			Options{Silent: true, Outputs: []string{"/dev/null"}, WriteOut: "%{http_code}\n", URLs: []string{"productpage:9080/productpage"}}},
		{[]string{"-so/dev/null", "-XPOST", "-dfoo=bar", "-H", "Host: a", "-Hx-y: z", "u"},
			Options{Silent: true, Outputs: []string{"/dev/null"}, Method: "POST", Data: []Data{{DataASCII, "foo=bar"}}, Headers: []string{"Host: a", "x-y: z"}, URLs: []string{"u"}}},
		{[]string{"-m", "2.5", "--connect-timeout", "1", "-kfLIiv", "u"},
			Options{MaxTime: 2500 * time.Millisecond, ConnectTimeout: time.Second, Insecure: true, Fail: true, Location: true, Head: true, Include: true, Verbose: true, URLs: []string{"u"}}},
		{[]string{"--data-binary", "@f", "--data-raw", "@x", "--data-urlencode", "a=b c", "--json", "{}", "u"},
			Options{Data: []Data{{DataBinary, "@f"}, {DataRaw, "@x"}, {DataURLEncode, "a=b c"}, {DataJSON, "{}"}}, URLs: []string{"u"}}},
		{[]string{"--resolve", "httpbin.example.com:443:127.0.0.1", "--resolve", "+h:80:[::1],10.0.0.1", "u"},
			Options{Resolve: []Resolve{{"httpbin.example.com", "443", []string{"127.0.0.1"}}, {"h", "80", []string{"::1", "10.0.0.1"}}}, URLs: []string{"u"}}},
		{[]string{"--http2-prior-knowledge", "--compressed", "-A", "agent", "-u", "a:b", "-b", "k=v", "-c", "jar", "u", "v"},
			Options{HTTP2PriorKnowledge: true, Compressed: true, UserAgent: &ua, User: "a:b", Cookie: "k=v", CookieJar: "jar", URLs: []string{"u", "v"}}},
		{[]string{"-s", "--no-silent", "--fail-with-body", "--max-redirs", "3", "-G", "--http1.1", "u"},
			Options{FailWithBody: true, MaxRedirs: 3, Get: true, HTTP11: true, URLs: []string{"u"}}},
		{[]string{"--cacert", "ca.pem", "--cert", "c.pem", "--key", "k.pem", "-#", "--no-progress-meter", "u"},
			Options{CACert: "ca.pem", Cert: "c.pem", Key: "k.pem", URLs: []string{"u"}}},
		{[]string{"--help"}, Options{Help: true}},
		{[]string{"-V"}, Options{Version: true}},
	} {
		got, err := ParseArgs(tc.args)
		if err != nil {
			t.Errorf("ParseArgs(%q): %v", tc.args, err)
			continue
		}
		if tc.want.MaxRedirs == 0 {
			tc.want.MaxRedirs = 50
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("ParseArgs(%q)\n got %+v\nwant %+v", tc.args, *got, tc.want)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "no URL specified"},
		{[]string{"-s"}, "no URL specified"},
		{[]string{"--bogus", "u"}, "option --bogus: is unknown"},
		{[]string{"--max-time=5", "u"}, "option --max-time=5: is unknown"},
		{[]string{"-Z", "u"}, "option -Z: is unknown"},
		{[]string{"u", "-o"}, "option -o: requires parameter"},
		{[]string{"u", "--header"}, "option --header: requires parameter"},
		{[]string{"-m", "soon", "u"}, "option -m: expected a proper numerical parameter"},
		{[]string{"--connect-timeout", "-1", "u"}, "option --connect-timeout: expected a proper numerical parameter"},
		{[]string{"--resolve", "nohost", "u"}, `option --resolve: want host:port:address, got "nohost"`},
		{[]string{"--no-output", "u"}, "option --no-output: is unknown"},
	} {
		_, err := ParseArgs(tc.args)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Msg != tc.msg {
			t.Errorf("ParseArgs(%q) = %v, want usage error %q", tc.args, err, tc.msg)
		}
	}
}

func FuzzParseArgs(f *testing.F) {
	f.Add("-sS\x00http://productpage:9080/productpage")
	f.Add("-so/dev/null\x00-w\x00%{http_code}\x00u")
	f.Add("--resolve\x00h:80:[::1]\x00-XPOST\x00-d\x00@-\x00u")
	f.Add("-m\x001e3\x00--max-redirs\x00-1\x00u")
	f.Fuzz(func(t *testing.T, joined string) {
		args := splitNUL(joined)
		o, err := ParseArgs(args)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) || ue.Msg == "" {
				t.Fatalf("ParseArgs(%q): error %v is not a usage error with a message", args, err)
			}
			return
		}
		if len(o.URLs) == 0 && !o.Help && !o.Version {
			t.Fatalf("ParseArgs(%q): no URL and no error", args)
		}
		if o.MaxTime < 0 || o.ConnectTimeout < 0 {
			t.Fatalf("ParseArgs(%q): negative timeout", args)
		}
	})
}

func splitNUL(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
