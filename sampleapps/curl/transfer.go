package curl

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Env is what the client reads and writes and how it reaches the network; tests replace the network.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	UserAgent      string
	// LookupHost resolves a host name; nil is the system resolver.
	LookupHost func(ctx context.Context, host string) ([]string, error)
	// Dial connects to an address; nil is a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// client runs the transfers of one command line, one after the other, on one connection pool.
type client struct {
	o         *Options
	env       Env
	transport *http.Transport
	writeOut  []segment
	body      []byte
	hasBody   bool
	cur       *transferState // the transfer in progress
	files     map[string]*os.File
	jar       *cookieJar // nil without -b FILE or -c
}

// transferState is one URL's transfer: its timings and what -w prints. The dial and trace callbacks
// run on the transport's goroutines, possibly after the transfer gave up on them; they write their
// fields under mu, and -w reads a copy taken under mu.
type transferState struct {
	start  time.Time
	mu     sync.Mutex
	result result
}

func (t *transferState) since() time.Duration { return time.Since(t.start) }

// update changes the result from a callback.
func (t *transferState) update(f func(r *result)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f(&t.result)
}

func (t *transferState) snapshot() result {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.result
}

type stateKey struct{}

// stateOf is the transfer a dial is for; the transport dials with the request's context values.
func stateOf(ctx context.Context) *transferState {
	if st, ok := ctx.Value(stateKey{}).(*transferState); ok {
		return st
	}
	return &transferState{start: time.Now()}
}

// Run performs every transfer of o and returns curl's exit code: the last transfer's, as curl's.
func Run(ctx context.Context, o *Options, env Env) int {
	c := &client{o: o, env: env}
	if env.LookupHost == nil {
		c.env.LookupHost = net.DefaultResolver.LookupHost
	}
	if env.Dial == nil {
		c.env.Dial = (&net.Dialer{}).DialContext
	}
	if o.WriteOut != "" {
		format := o.WriteOut
		if file, ok := strings.CutPrefix(format, "@"); ok {
			data, err := readFile(file, env.Stdin)
			if err != nil {
				return c.report(errorf(ExitReadError, "Failed to read the write-out format from %s", file))
			}
			format = string(data)
		}
		c.writeOut = ParseWriteOut(format)
	}
	if o.CookieJar != "" || o.Cookie != "" && !strings.Contains(o.Cookie, "=") {
		c.jar = &cookieJar{}
		if o.Cookie != "" && !strings.Contains(o.Cookie, "=") {
			c.jar.load(o.Cookie)
		}
	}
	if len(o.Data) > 0 {
		var err *Error
		if c.body, err = payload(o.Data, env.Stdin); err != nil {
			return c.report(err)
		}
		c.hasBody = true
	}
	tr, err := c.newTransport()
	if err != nil {
		return c.report(err)
	}
	c.transport = tr
	defer tr.CloseIdleConnections()
	defer c.closeFiles()

	code := ExitOK
	for i, raw := range o.URLs {
		output := "-"
		if i < len(o.Outputs) {
			output = o.Outputs[i]
		}
		st := &transferState{start: time.Now()}
		c.cur = st
		st.result.err = c.transfer(ctx, raw, output)
		st.result.total = st.since()
		if c.writeOut != nil {
			r := st.snapshot()
			writeOut(c.writeOut, &r, env.Stdout, env.Stderr)
		}
		code = c.report(st.result.err)
	}
	if o.CookieJar != "" {
		if err := c.saveJar(); err != nil {
			fmt.Fprintf(env.Stderr, "curl: WARNING: failed to save cookies in %s: %v\n", o.CookieJar, err)
		}
	}
	return code
}

func (c *client) saveJar() error {
	if c.o.CookieJar == "-" {
		return c.jar.write(c.env.Stdout, time.Now())
	}
	f, err := os.Create(c.o.CookieJar)
	if err != nil {
		return err
	}
	if err := c.jar.write(f, time.Now()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// send does one request, with the jar's cookies, and keeps the cookies of the response.
func (c *client) send(req *http.Request) (*http.Response, error) {
	if c.jar != nil {
		if v := c.jar.header(req.URL, time.Now()); v != "" {
			req.Header.Set("Cookie", v)
		}
	}
	resp, err := c.transport.RoundTrip(req)
	if err == nil && c.jar != nil {
		c.jar.received(req.URL, resp, time.Now())
	}
	return resp, err
}

// report prints a failure as curl does, unless -s without -S, and returns its exit code.
func (c *client) report(err *Error) int {
	if err == nil {
		return ExitOK
	}
	if !c.o.Silent || c.o.ShowError {
		fmt.Fprintf(c.env.Stderr, "curl: (%d) %s\n", err.Code, err.Msg)
	}
	return err.Code
}

func (c *client) newTransport() (*http.Transport, *Error) {
	conf := &tls.Config{InsecureSkipVerify: c.o.Insecure} //nolint:gosec // -k asks for it
	if c.o.CACert != "" {
		pem, err := os.ReadFile(c.o.CACert)
		if err != nil {
			return nil, errorf(ExitSSLCACertBadFile, "error setting certificate file: %s", c.o.CACert)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, errorf(ExitSSLCACertBadFile, "error setting certificate file: %s", c.o.CACert)
		}
	}
	if c.o.Cert != "" {
		key := c.o.Key
		if key == "" {
			key = c.o.Cert // curl reads the key from the certificate's file by default
		}
		cert, err := tls.LoadX509KeyPair(c.o.Cert, key)
		if err != nil {
			return nil, errorf(ExitSSLCertProblem, "could not load PEM client certificate from %s: %v", c.o.Cert, err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	var protocols http.Protocols
	switch {
	case c.o.HTTP2PriorKnowledge:
		protocols.SetUnencryptedHTTP2(true)
		protocols.SetHTTP2(true)
	case c.o.HTTP11:
		protocols.SetHTTP1(true)
	default:
		protocols.SetHTTP1(true)
		protocols.SetHTTP2(true) // over TLS, when the server offers it (ALPN), as curl
	}
	return &http.Transport{
		Proxy:              nil,
		DialContext:        c.dial,
		TLSClientConfig:    conf,
		DisableCompression: true, // curl sends no Accept-Encoding without --compressed
		Protocols:          &protocols,
	}, nil
}

// dial connects as curl does: --resolve entries first, then DNS; every address in turn, each within
// --connect-timeout.
func (c *client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	st := stateOf(ctx)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, errorf(ExitURLMalformed, "URL rejected: Port number was not a decimal number")
	}
	ips := c.resolved(host, port)
	if ips == nil {
		if ip := net.ParseIP(host); ip != nil {
			ips = []string{host}
		} else if ips, err = c.env.LookupHost(ctx, host); err != nil || len(ips) == 0 {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, errorf(ExitCouldntResolve, "Could not resolve host: %s", host)
		}
	}
	st.update(func(r *result) { r.nameLookup = st.since() })
	c.verbosef("* Host %s was resolved.\n", net.JoinHostPort(host, port))
	var last error
	for _, ip := range ips {
		c.verbosef("*   Trying %s...\n", net.JoinHostPort(ip, port))
		dctx, cancel := ctx, context.CancelFunc(func() {})
		if c.o.ConnectTimeout > 0 {
			dctx, cancel = context.WithTimeout(ctx, c.o.ConnectTimeout)
		}
		conn, err := c.env.Dial(dctx, network, net.JoinHostPort(ip, port))
		timedOut := dctx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			st.update(func(r *result) { r.connect = st.since(); r.connects++ })
			c.verbosef("* Connected to %s (%s) port %s\n", host, ip, port)
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ms := st.since().Milliseconds()
		if timedOut {
			last = errorf(ExitTimeout, "Failed to connect to %s port %s after %d ms: Timeout was reached", host, port, ms)
		} else {
			last = errorf(ExitCouldntConnect, "Failed to connect to %s port %s after %d ms: Couldn't connect to server", host, port, ms)
		}
	}
	return nil, last
}

// resolved is the --resolve addresses for host:port, nil when no entry matches.
func (c *client) resolved(host, port string) []string {
	for _, r := range c.o.Resolve {
		if (r.Host == "*" || strings.EqualFold(r.Host, host)) && r.Port == port {
			return r.Addrs
		}
	}
	return nil
}

func (c *client) verbosef(format string, a ...any) {
	if c.o.Verbose {
		fmt.Fprintf(c.env.Stderr, format, a...)
	}
}

// method is the request's method: -X, else HEAD for -I, POST with data, GET.
func (c *client) method() string {
	switch {
	case c.o.Method != "":
		return c.o.Method
	case c.o.Head:
		return http.MethodHead
	case c.hasBody && !c.o.Get:
		return http.MethodPost
	}
	return http.MethodGet
}

// newRequest builds the first request of a transfer to u.
func (c *client) newRequest(ctx context.Context, u *url.URL) *http.Request {
	if c.hasBody && c.o.Get {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += string(c.body)
	}
	h, host := c.o.headers(c.env.UserAgent, c.hasBody)
	req := &http.Request{Method: c.method(), URL: u, Header: h, Host: host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	if c.hasBody && !c.o.Get {
		req.ContentLength = int64(len(c.body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(c.body)), nil }
		req.Body, _ = req.GetBody()
		c.cur.result.sizeUpload = req.ContentLength
	}
	return req.WithContext(c.trace(ctx, req))
}

// trace records the transfer's timings and shows the request with -v once a connection carries it.
func (c *client) trace(ctx context.Context, req *http.Request) context.Context {
	st := c.cur
	ctx = context.WithValue(ctx, stateKey{}, st)
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		TLSHandshakeDone: func(tls.ConnectionState, error) { st.update(func(r *result) { r.appConnect = st.since() }) },
		GotConn: func(info httptrace.GotConnInfo) {
			st.update(func(r *result) {
				r.preTransfer = st.since()
				r.remoteIP, r.remotePort, _ = net.SplitHostPort(info.Conn.RemoteAddr().String())
				r.localIP, r.localPort, _ = net.SplitHostPort(info.Conn.LocalAddr().String())
			})
			proto := "HTTP/1.1"
			if tc, ok := info.Conn.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol == "h2" || c.o.HTTP2PriorKnowledge {
				proto = "HTTP/2"
			}
			c.showRequest(req, proto)
		},
		GotFirstResponseByte: func() { st.update(func(r *result) { r.startTransfer = st.since() }) },
	})
}

func (c *client) showRequest(req *http.Request, proto string) {
	if !c.o.Verbose {
		return
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s %s\r\n> Host: %s\r\n", req.Method, req.URL.RequestURI(), proto, host)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range req.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range req.Header[k] {
			fmt.Fprintf(&b, "> %s: %s\r\n", k, v)
		}
	}
	if req.ContentLength > 0 {
		fmt.Fprintf(&b, "> Content-Length: %d\r\n", req.ContentLength)
	}
	b.WriteString(">\r\n")
	io.WriteString(c.env.Stderr, b.String())
}

// transfer fetches one URL into output ("-" is stdout), following redirects with -L.
func (c *client) transfer(ctx context.Context, raw, output string) *Error {
	st := c.cur
	st.result.method = c.method()
	u, uerr := target(raw)
	if uerr != nil {
		st.result.urlEffective = raw
		return uerr
	}
	st.result.urlEffective, st.result.scheme = u.String(), u.Scheme
	if c.o.MaxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.o.MaxTime)
		defer cancel()
	}
	fail := func(err error, received int64) *Error {
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
		return classify(err, timedOut, st.since().Milliseconds(), received)
	}

	req := c.newRequest(ctx, u)
	var resp *http.Response
	for {
		var err error
		resp, err = c.send(req)
		if err != nil {
			return fail(err, 0)
		}
		st.result.status, st.result.proto, st.result.header = resp.StatusCode, resp.Proto, resp.Header
		st.result.sizeHeader += headerSize(resp)
		loc := resp.Header.Get("Location")
		if loc != "" {
			if next, err := resp.Request.URL.Parse(loc); err == nil {
				st.result.redirectURL = next.String()
			}
		}
		c.showResponse(resp)
		if !c.o.Location || !isRedirect(resp.StatusCode) || st.result.redirectURL == "" {
			break
		}
		// The body of a redirect is not shown; its headers are, with -i.
		if err := c.writeHeaders(output, resp); err != nil {
			resp.Body.Close()
			return err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		st.result.redirects++
		if c.o.MaxRedirs >= 0 && st.result.redirects > c.o.MaxRedirs {
			return errorf(ExitTooManyRedirects, "Maximum (%d) redirects followed", c.o.MaxRedirs)
		}
		next, _ := url.Parse(st.result.redirectURL)
		req = c.redirect(ctx, req, resp.StatusCode, next)
		st.result.urlEffective, st.result.scheme, st.result.redirectURL = next.String(), next.Scheme, ""
		st.result.redirect = st.since()
	}
	defer resp.Body.Close()

	failed := resp.StatusCode >= 400 && (c.o.Fail || c.o.FailWithBody)
	httpErr := errorf(ExitHTTPError, "The requested URL returned error: %d", resp.StatusCode)
	if failed && !c.o.FailWithBody {
		return httpErr
	}
	if err := c.writeHeaders(output, resp); err != nil {
		return err
	}
	if c.method() == http.MethodHead || c.o.Head {
		return nil
	}
	counted := &countingReader{r: resp.Body}
	body, err := decoded(counted, resp.Header.Get("Content-Encoding"), c.o.Compressed)
	if err != nil {
		return fail(err, counted.n)
	}
	out, cerr := c.open(output)
	if cerr != nil {
		return cerr
	}
	_, err = io.Copy(out, body)
	st.result.sizeDownload = counted.n
	if err != nil {
		if errors.Is(err, errWrite) {
			return errorf(ExitWriteError, "Failure writing output to destination")
		}
		return fail(err, counted.n)
	}
	if failed {
		return httpErr
	}
	return nil
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// redirect is the request that follows a redirect to next: 301, 302 and 303 turn a POST into a GET
// without body, as curl does unless -X chose the method.
func (c *client) redirect(ctx context.Context, prev *http.Request, code int, next *url.URL) *http.Request {
	req := &http.Request{Method: prev.Method, URL: next, Header: prev.Header.Clone(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	if next.Host == prev.URL.Host {
		req.Host = prev.Host // a -H Host: line holds for the same server only
	} else {
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
	}
	keepBody := code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect
	if !keepBody && c.o.Method == "" && prev.Method == http.MethodPost {
		req.Method = http.MethodGet
	}
	if prev.GetBody != nil && (keepBody || req.Method != http.MethodGet) {
		req.GetBody, req.ContentLength = prev.GetBody, prev.ContentLength
		req.Body, _ = prev.GetBody()
	} else {
		req.Header.Del("Content-Type")
	}
	return req.WithContext(c.trace(ctx, req))
}

// showResponse prints the response's head on stderr with -v.
func (c *client) showResponse(resp *http.Response) {
	if c.o.Verbose {
		var b bytes.Buffer
		for line := range strings.Lines(formatHead(resp)) {
			b.WriteString("< " + line)
		}
		c.env.Stderr.Write(b.Bytes())
	}
}

// writeHeaders writes the response's head into the output with -i or -I.
func (c *client) writeHeaders(output string, resp *http.Response) *Error {
	if !c.o.Include && !c.o.Head {
		return nil
	}
	out, err := c.open(output)
	if err != nil {
		return err
	}
	if _, werr := io.WriteString(out, formatHead(resp)); werr != nil {
		return errorf(ExitWriteError, "Failure writing output to destination")
	}
	return nil
}

// formatHead is the status line and headers as curl shows them: names as received over HTTP/1 (here
// in Go's canonical form) and lower-case over HTTP/2, sorted by name.
func formatHead(resp *http.Response) string {
	var b strings.Builder
	h2 := resp.ProtoMajor == 2
	if h2 {
		fmt.Fprintf(&b, "HTTP/2 %d\r\n", resp.StatusCode)
	} else {
		fmt.Fprintf(&b, "%s %s\r\n", resp.Proto, resp.Status)
	}
	hdr := resp.Header.Clone()
	if len(resp.TransferEncoding) > 0 {
		hdr["Transfer-Encoding"] = resp.TransferEncoding
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range hdr {
			if !yield(k) {
				return
			}
		}
	}) {
		name := k
		if h2 {
			name = strings.ToLower(k)
		}
		for _, v := range hdr[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", name, v)
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

func headerSize(resp *http.Response) int64 { return int64(len(formatHead(resp))) }

func (c *client) closeFiles() {
	for _, f := range c.files {
		_ = f.Close()
	}
}

// outputs are opened once per command line: a file named by -o is created at its first byte.
func (c *client) open(name string) (io.Writer, *Error) {
	if name == "-" || name == "" {
		return writeChecker{c.env.Stdout}, nil
	}
	if f, ok := c.files[name]; ok {
		return writeChecker{f}, nil
	}
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintf(c.env.Stderr, "Warning: Failed to open the file %s: %v\n", name, errors.Unwrap(err))
		return nil, errorf(ExitWriteError, "Failure writing output to destination")
	}
	if c.files == nil {
		c.files = map[string]*os.File{}
	}
	c.files[name] = f
	return writeChecker{f}, nil
}

// errWrite marks a failure to write the output, as opposed to one reading the response.
var errWrite = errors.New("write output")

type writeChecker struct{ w io.Writer }

func (w writeChecker) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		return n, fmt.Errorf("%w: %w", errWrite, err)
	}
	return n, nil
}

// countingReader counts the bytes of the body as they arrive, before any decompression.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decoded undoes the Content-Encoding when --compressed asked for one.
func decoded(r io.Reader, encoding string, compressed bool) (io.Reader, error) {
	if !compressed {
		return r, nil
	}
	switch strings.ToLower(encoding) {
	case "gzip", "x-gzip":
		return gzip.NewReader(r)
	case "deflate":
		return zlib.NewReader(r)
	}
	return r, nil
}
