package accesslog

import (
	"io"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Istio's default text format (MeshConfig accessLogFormat empty), which AppendText writes:
//
//	[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
//	%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
//	"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//	%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
//	"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW%
//	%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
//	%REQUESTED_SERVER_NAME% %ROUTE_NAME%
//
// on one line; an empty value prints as "-".

// AppendText appends the line (with its newline) to b.
func (i *Info) AppendText(b []byte) []byte {
	b = append(b, '[')
	b = i.Start.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, "] \""...)
	b = dash(b, i.Method)
	b = append(b, ' ')
	if i.OriginalPath != "" {
		b = append(b, i.OriginalPath...)
	} else {
		b = dash(b, i.Path)
	}
	b = append(b, ' ')
	b = dash(b, i.Protocol)
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(i.Status), 10)
	b = append(b, ' ')
	b = i.Flags.appendTo(b)
	b = append(b, ' ')
	b = dash(b, i.Details)
	b = append(b, " - \""...)
	b = dash(b, i.UpstreamFailure)
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, i.BytesReceived, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, i.BytesSent, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, i.Duration.Milliseconds(), 10)
	b = append(b, ' ')
	if i.UpstreamHost != "" && i.Method != "" {
		b = strconv.AppendInt(b, i.UpstreamTime.Milliseconds(), 10)
	} else {
		b = append(b, '-')
	}
	for _, s := range [...]string{i.ForwardedFor, i.UserAgent, i.RequestID, i.Authority, i.UpstreamHost} {
		b = append(b, " \""...)
		b = dash(b, s)
		b = append(b, '"')
	}
	b = append(b, ' ')
	b = dash(b, i.Cluster)
	b = append(b, ' ')
	b = dash(b, i.UpstreamLocal)
	b = append(b, ' ')
	b = addr(b, i.DownstreamLocal)
	b = append(b, ' ')
	b = addr(b, i.DownstreamRemote)
	b = append(b, ' ')
	b = dash(b, i.ServerName)
	b = append(b, ' ')
	b = dash(b, i.RouteName)
	return append(b, '\n')
}

func dash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

// addr appends the address in place: no string per line.
func addr(b []byte, ap netip.AddrPort) []byte {
	if !ap.IsValid() {
		return append(b, '-')
	}
	return ap.AppendTo(b)
}

// Logger writes access log lines to a writer, one write per line.
type Logger struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewLogger logs to w (nil: a Logger that logs nothing).
func NewLogger(w io.Writer) *Logger {
	if w == nil {
		return nil
	}
	return &Logger{w: w}
}

// Log writes the line for i; a nil Logger does nothing.
func (l *Logger) Log(i *Info) {
	if l == nil {
		return
	}
	if i.Duration == 0 {
		i.Duration = time.Since(i.Start)
	}
	l.mu.Lock()
	l.buf = i.AppendText(l.buf[:0])
	_, _ = l.w.Write(l.buf)
	l.mu.Unlock()
}
