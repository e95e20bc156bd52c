package curl

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// run runs a curl command line against the test servers; every name resolves to nothing, so that no
// test reaches DNS.
func run(t *testing.T, stdin string, env func(*Env), args ...string) (code int, stdout, stderr string) {
	t.Helper()
	o, err := ParseArgs(args)
	if err != nil {
		t.Fatalf("ParseArgs(%q): %v", args, err)
	}
	var out, errs bytes.Buffer
	e := Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errs, UserAgent: "mesh-samples-curl/test",
		LookupHost: func(_ context.Context, host string) ([]string, error) {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
	}
	if env != nil {
		env(&e)
	}
	code = Run(t.Context(), o, e)
	return code, out.String(), errs.String()
}

// seen keeps the last request a test server got, with its body.
type seen struct {
	mu   sync.Mutex
	req  *http.Request
	body string
	all  []string // method and path of every request
}

func (s *seen) record(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.req, s.body = r.Clone(context.Background()), string(b)
	s.all = append(s.all, r.Method+" "+r.URL.RequestURI())
}

func (s *seen) last() (*http.Request, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.req, s.body
}

func server(t *testing.T, s *seen, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s != nil {
			s.record(r)
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func hello(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Test", "1")
	io.WriteString(w, "hello")
}

func TestGet(t *testing.T) {
	var s seen
	srv := server(t, &s, hello)
	code, out, errs := run(t, "", nil, "-sS", srv.URL+"/x?q=1")
	if code != 0 || out != "hello" || errs != "" {
		t.Errorf("code %d out %q err %q", code, out, errs)
	}
	req, _ := s.last()
	if req.Method != "GET" || req.URL.RequestURI() != "/x?q=1" || req.UserAgent() != "mesh-samples-curl/test" ||
		req.Header.Get("Accept") != "*/*" || req.Header.Get("Accept-Encoding") != "" {
		t.Errorf("request %s %s %v", req.Method, req.URL, req.Header)
	}
	// Without a scheme, http:// as curl.
	if code, out, _ := run(t, "", nil, "-s", strings.TrimPrefix(srv.URL, "http://")+"/y"); code != 0 || out != "hello" {
		t.Errorf("scheme-less URL: %d %q", code, out)
	}
}

func TestIncludeAndHead(t *testing.T) {
	var s seen
	srv := server(t, &s, hello)
	_, out, _ := run(t, "", nil, "-si", srv.URL)
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK\r\n") || !strings.Contains(out, "X-Test: 1\r\n") || !strings.HasSuffix(out, "\r\n\r\nhello") {
		t.Errorf("-i output %q", out)
	}
	_, out, _ = run(t, "", nil, "-sI", srv.URL)
	if req, _ := s.last(); req.Method != "HEAD" || !strings.HasPrefix(out, "HTTP/1.1 200 OK\r\n") || strings.Contains(out, "hello") {
		t.Errorf("-I: method %s output %q", req.Method, out)
	}
}

func TestOutputFileAndWriteOut(t *testing.T) {
	srv := server(t, nil, hello)
	file := filepath.Join(t.TempDir(), "body")
	code, out, _ := run(t, "", nil, "-s", "-o", file, "-w", `%{http_code} %{size_download} %{num_redirects}\n`, srv.URL)
	data, _ := os.ReadFile(file)
	if code != 0 || out != "200 5 0\n" || string(data) != "hello" {
		t.Errorf("code %d stdout %q file %q", code, out, data)
	}
	// -o applies to the first URL; the second goes to stdout.
	_, out, _ = run(t, "", nil, "-s", "-o", os.DevNull, srv.URL, srv.URL)
	if out != "hello" {
		t.Errorf("second URL's output %q", out)
	}
}

func TestHeaders(t *testing.T) {
	var s seen
	srv := server(t, &s, hello)
	run(t, "", nil, "-s", "-H", "Host: httpbin.example.com", "-H", "Accept:", "-H", "X-Empty;", "-H", "end-user: jason",
		"-H", "X-Two: 1", "-H", "X-Two: 2", "-A", "tester/1", "-u", "alice:secret", "-b", "session=abc", srv.URL)
	req, _ := s.last()
	user, pass, _ := req.BasicAuth()
	_, hasEmpty := req.Header["X-Empty"]
	if req.Host != "httpbin.example.com" || req.Header.Get("Accept") != "" || !hasEmpty || req.Header.Get("end-user") != "jason" ||
		strings.Join(req.Header.Values("X-Two"), ",") != "1,2" || req.UserAgent() != "tester/1" || user != "alice" || pass != "secret" ||
		req.Header.Get("Cookie") != "session=abc" {
		t.Errorf("request Host %q headers %v", req.Host, req.Header)
	}
}

func TestData(t *testing.T) {
	var s seen
	srv := server(t, &s, hello)
	dir := t.TempDir()
	file := filepath.Join(dir, "data")
	if err := os.WriteFile(file, []byte("line1\r\nline2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args        []string
		stdin       string
		method, uri string
		body, ctype string
	}{
		{[]string{"-d", "a=1", "-d", "b=2"}, "", "POST", "/", "a=1&b=2", "application/x-www-form-urlencoded"},
		{[]string{"-X", "PUT", "-d", "x"}, "", "PUT", "/", "x", "application/x-www-form-urlencoded"},
		{[]string{"-d", "@" + file}, "", "POST", "/", "line1line2", "application/x-www-form-urlencoded"},
		{[]string{"--data-binary", "@" + file}, "", "POST", "/", "line1\r\nline2\n", "application/x-www-form-urlencoded"},
		{[]string{"--data-raw", "@" + file}, "", "POST", "/", "@" + file, "application/x-www-form-urlencoded"},
		{[]string{"-d", "@-"}, "from\nstdin", "POST", "/", "fromstdin", "application/x-www-form-urlencoded"},
		{[]string{"--data-urlencode", "q=a b&c", "--data-urlencode", "=x y"}, "", "POST", "/", "q=a+b%26c&x+y", "application/x-www-form-urlencoded"},
		{[]string{"-G", "-d", "a=1", "-d", "b=2"}, "", "GET", "/?a=1&b=2", "", ""},
		{[]string{"--json", `{"k":1}`}, "", "POST", "/", `{"k":1}`, "application/json"},
		{[]string{"-d", "a", "-H", "Content-Type: text/plain"}, "", "POST", "/", "a", "text/plain"},
	} {
		args := append(append([]string{"-s"}, tc.args...), srv.URL+"/")
		if code, _, errs := run(t, tc.stdin, nil, args...); code != 0 {
			t.Errorf("%q: exit %d %s", tc.args, code, errs)
			continue
		}
		req, body := s.last()
		if req.Method != tc.method || req.URL.RequestURI() != tc.uri || body != tc.body || req.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%q: %s %s body %q type %q, want %s %s %q %q", tc.args, req.Method, req.URL.RequestURI(), body,
				req.Header.Get("Content-Type"), tc.method, tc.uri, tc.body, tc.ctype)
		}
	}
}

func TestRedirects(t *testing.T) {
	var s seen
	srv := server(t, &s, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/302":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/307":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			io.WriteString(w, "final "+r.Method)
		}
	})
	code, out, _ := run(t, "", nil, "-s", "-w", " %{http_code} %{redirect_url}", srv.URL+"/302")
	if code != 0 || !strings.HasSuffix(out, " 302 "+srv.URL+"/final") {
		t.Errorf("without -L: %d %q", code, out)
	}
	code, out, _ = run(t, "", nil, "-sL", "-w", " %{http_code} %{num_redirects} %{url_effective}", "-d", "x=1", srv.URL+"/302")
	if code != 0 || out != "final GET 200 1 "+srv.URL+"/final" {
		t.Errorf("-L after POST and 302: %d %q", code, out)
	}
	code, out, _ = run(t, "", nil, "-sL", "-d", "x=1", srv.URL+"/307")
	if _, body := s.last(); code != 0 || out != "final POST" || body != "x=1" {
		t.Errorf("-L after POST and 307: %d %q body %q", code, out, body)
	}
	code, _, errs := run(t, "", nil, "-sSL", "--max-redirs", "2", srv.URL+"/loop")
	if code != ExitTooManyRedirects || errs != "curl: (47) Maximum (2) redirects followed\n" {
		t.Errorf("loop: %d %q", code, errs)
	}
}

func TestFail(t *testing.T) {
	srv := server(t, nil, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no such page", http.StatusNotFound) })
	code, out, errs := run(t, "", nil, "-sSf", srv.URL)
	if code != ExitHTTPError || out != "" || errs != "curl: (22) The requested URL returned error: 404\n" {
		t.Errorf("-sSf: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, "", nil, "-sf", srv.URL); code != 22 || errs != "" {
		t.Errorf("-sf: %d, stderr %q; -s hides the message", code, errs)
	}
	if code, out, _ := run(t, "", nil, "-s", "--fail-with-body", srv.URL); code != 22 || out != "no such page\n" {
		t.Errorf("--fail-with-body: %d %q", code, out)
	}
	if code, out, _ := run(t, "", nil, "-s", "-w", "%{http_code}", srv.URL); code != 0 || out != "no such page\n404" {
		t.Errorf("without -f a 404 succeeds: %d %q", code, out)
	}
}

func TestMaxTime(t *testing.T) {
	srv := server(t, nil, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("part"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	code, out, errs := run(t, "", nil, "-sS", "-m", "0.2", "-w", "%{http_code}", srv.URL)
	if code != ExitTimeout || !strings.HasPrefix(errs, "curl: (28) Operation timed out after ") ||
		!strings.HasSuffix(errs, " milliseconds with 4 bytes received\n") || out != "part200" {
		t.Errorf("-m: %d %q %q", code, out, errs)
	}
}

func TestConnectFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: refused
	code, out, errs := run(t, "", nil, "-sS", "-w", "%{http_code}", "http://"+addr+"/")
	if code != ExitCouldntConnect || out != "000" || !strings.HasPrefix(errs, "curl: (7) Failed to connect to 127.0.0.1 port ") ||
		!strings.HasSuffix(errs, ": Couldn't connect to server\n") {
		t.Errorf("refused: %d %q %q", code, out, errs)
	}

	stuck := func(e *Env) {
		e.Dial = func(ctx context.Context, _, _ string) (net.Conn, error) { <-ctx.Done(); return nil, ctx.Err() }
	}
	code, _, errs = run(t, "", stuck, "-sS", "--connect-timeout", "0.05", "http://10.255.0.1:80/")
	if code != ExitTimeout || !strings.HasPrefix(errs, "curl: (28) Failed to connect to 10.255.0.1 port 80 after ") ||
		!strings.HasSuffix(errs, "Timeout was reached\n") {
		t.Errorf("connect timeout: %d %q", code, errs)
	}
	code, _, errs = run(t, "", stuck, "-sS", "-m", "0.05", "http://10.255.0.1:80/")
	if code != ExitTimeout || !strings.HasPrefix(errs, "curl: (28) ") {
		t.Errorf("max time while connecting: %d %q", code, errs)
	}

	code, _, errs = run(t, "", nil, "-sS", "http://nosuchhost.invalid/")
	if code != ExitCouldntResolve || errs != "curl: (6) Could not resolve host: nosuchhost.invalid\n" {
		t.Errorf("unresolvable: %d %q", code, errs)
	}
}

func TestResolveOption(t *testing.T) {
	var s seen
	srv := server(t, &s, hello)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	code, out, errs := run(t, "", nil, "-sS", "--resolve", "httpbin.example.com:"+port+":127.0.0.1",
		"-w", " %{remote_ip}", "http://httpbin.example.com:"+port+"/get")
	req, _ := s.last()
	if code != 0 || out != "hello 127.0.0.1" || req.Host != "httpbin.example.com:"+port {
		t.Errorf("--resolve: %d %q %q host %q", code, out, errs, req.Host)
	}
}

// rawServer answers each connection with handle, after reading the request's head.
func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
				c.Close()
				continue
			}
			handle(c)
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

func TestBrokenServers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		handle func(net.Conn)
		code   int
		msg    string
	}{
		{"reset", func(c net.Conn) { c.(*net.TCPConn).SetLinger(0); c.Close() }, ExitRecvError, "curl: (56) Recv failure: Connection reset by peer\n"},
		{"empty", func(c net.Conn) { c.Close() }, ExitGotNothing, "curl: (52) Empty reply from server\n"},
		{"partial", func(c net.Conn) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
			c.Close()
		}, ExitPartialFile, "curl: (18) transfer closed with outstanding read data remaining\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := run(t, "", nil, "-sS", rawServer(t, tc.handle))
			if code != tc.code || errs != tc.msg {
				t.Errorf("%d %q, want %d %q", code, errs, tc.code, tc.msg)
			}
		})
	}
}

func TestURLAndFileErrors(t *testing.T) {
	srv := server(t, nil, hello)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ftp://example.com/"}, ExitUnsupportedProto, `curl: (1) Protocol "ftp" not supported` + "\n"},
		{[]string{"http://[::1"}, ExitURLMalformed, "curl: (3) URL rejected: Malformed input to a URL function\n"},
		{[]string{"-o", filepath.Join(t.TempDir(), "no", "dir", "f"), srv.URL}, ExitWriteError, "curl: (23) Failure writing output to destination\n"},
		{[]string{"-d", "@" + filepath.Join(t.TempDir(), "absent"), srv.URL}, ExitReadError, "curl: (26) Failed to open/read local data from file/application\n"},
		{[]string{"--cacert", filepath.Join(t.TempDir(), "absent"), srv.URL}, ExitSSLCACertBadFile, ""},
	} {
		code, _, errs := run(t, "", nil, append([]string{"-sS"}, tc.args...)...)
		if code != tc.code || !strings.HasSuffix(errs, tc.msg) {
			t.Errorf("%q: %d %q, want %d %q", tc.args, code, errs, tc.code, tc.msg)
		}
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(hello))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	code, _, errs := run(t, "", nil, "-sS", srv.URL)
	if code != ExitPeerFailedVerify || !strings.HasPrefix(errs, "curl: (60) SSL certificate problem: ") {
		t.Errorf("unknown CA: %d %q", code, errs)
	}
	code, out, _ := run(t, "", nil, "-sk", "-w", " %{http_version}", srv.URL)
	if code != 0 || out != "hello 2" {
		t.Errorf("-k: %d %q, want hello over HTTP/2", code, out)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemData, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "", nil, "-s", "--http1.1", "--cacert", ca, "-w", " %{http_version}", srv.URL)
	if code != 0 || out != "hello 1.1" {
		t.Errorf("--cacert --http1.1: %d %q", code, out)
	}
}

func TestHTTP2PriorKnowledge(t *testing.T) {
	var s seen
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		w.Header().Set("X-Proto", r.Proto)
		io.WriteString(w, "h2c")
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	code, out, _ := run(t, "", nil, "-si", "--http2-prior-knowledge", srv.URL)
	if req, _ := s.last(); code != 0 || req.ProtoMajor != 2 || !strings.HasPrefix(out, "HTTP/2 200\r\n") || !strings.Contains(out, "x-proto: HTTP/2.0\r\n") {
		t.Errorf("h2c: %d %q", code, out)
	}
	run(t, "", nil, "-s", srv.URL)
	if req, _ := s.last(); req.ProtoMajor != 1 {
		t.Errorf("without the option: %s, want HTTP/1.1", req.Proto)
	}
}

func TestCompressed(t *testing.T) {
	srv := server(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			io.WriteString(w, "plain")
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		io.WriteString(gz, "zipped")
		gz.Close()
	})
	if _, out, _ := run(t, "", nil, "-s", "--compressed", srv.URL); out != "zipped" {
		t.Errorf("--compressed: %q", out)
	}
	if _, out, _ := run(t, "", nil, "-s", srv.URL); out != "plain" {
		t.Errorf("without --compressed: %q", out)
	}
}

// TestCookieJar: the productpage login flow with curl: -c keeps the session cookie, -b sends it.
func TestCookieJar(t *testing.T) {
	srv := server(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: r.FormValue("username"), Path: "/", HttpOnly: true})
			http.Redirect(w, r, "/productpage", http.StatusFound)
		default:
			c, err := r.Cookie("session")
			if err != nil {
				io.WriteString(w, "anonymous")
				return
			}
			io.WriteString(w, "user "+c.Value)
		}
	})
	jar := filepath.Join(t.TempDir(), "jar")
	code, out, _ := run(t, "", nil, "-sL", "-c", jar, "-d", "username=jason", srv.URL+"/login")
	if code != 0 || out != "user jason" {
		t.Errorf("login with -L: %d %q (the cookie must reach the redirect)", code, out)
	}
	data, _ := os.ReadFile(jar)
	if !strings.Contains(string(data), "\tsession\tjason\n") {
		t.Errorf("cookie jar:\n%s", data)
	}
	if _, out, _ := run(t, "", nil, "-s", "-b", jar, srv.URL+"/productpage"); out != "user jason" {
		t.Errorf("-b jar: %q", out)
	}
	if _, out, _ := run(t, "", nil, "-s", srv.URL+"/productpage"); out != "anonymous" {
		t.Errorf("without cookies: %q", out)
	}
}

func TestVerbose(t *testing.T) {
	srv := server(t, nil, hello)
	_, out, errs := run(t, "", nil, "-v", srv.URL+"/v")
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, want := range []string{"*   Trying " + host + "...\n", "> GET /v HTTP/1.1\r\n", "> Host: " + host + "\r\n", "< HTTP/1.1 200 OK\r\n", "< X-Test: 1\r\n"} {
		if !strings.Contains(errs, want) {
			t.Errorf("-v stderr lacks %q:\n%s", want, errs)
		}
	}
	if out != "hello" {
		t.Errorf("-v stdout %q", out)
	}
}

// TestLastURLDecides: as curl, the exit code is the last transfer's.
func TestLastURLDecides(t *testing.T) {
	srv := server(t, nil, hello)
	if code, out, _ := run(t, "", nil, "-s", "ftp://x/", srv.URL); code != 0 || out != "hello" {
		t.Errorf("bad then good: %d %q", code, out)
	}
	if code, _, errs := run(t, "", nil, "-s", srv.URL, "ftp://x/"); code != ExitUnsupportedProto || errs != "" {
		t.Errorf("good then bad: %d %q", code, errs)
	}
}

func TestWriteOutToStderrAndFile(t *testing.T) {
	srv := server(t, nil, hello)
	fmtFile := filepath.Join(t.TempDir(), "fmt")
	if err := os.WriteFile(fmtFile, []byte(`code %{http_code}%{stderr}to stderr`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errs := run(t, "", nil, "-s", "-o", os.DevNull, "-w", "@"+fmtFile, srv.URL)
	if out != "code 200" || errs != "to stderr" {
		t.Errorf("-w @file: stdout %q stderr %q", out, errs)
	}
}
