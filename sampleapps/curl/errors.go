package curl

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
)

// curl's exit codes for the failures a tutorial meets (curl's libcurl-errors(3) numbers).
const (
	ExitOK               = 0
	ExitUnsupportedProto = 1
	ExitUsage            = 2
	ExitURLMalformed     = 3
	ExitCouldntResolve   = 6
	ExitCouldntConnect   = 7
	ExitPartialFile      = 18
	ExitHTTPError        = 22 // -f and a status of 400 or more
	ExitWriteError       = 23
	ExitReadError        = 26 // a -d @file that cannot be read
	ExitTimeout          = 28
	ExitSSLConnect       = 35
	ExitTooManyRedirects = 47
	ExitGotNothing       = 52 // the server closed without answering
	ExitRecvError        = 56 // the connection broke while receiving
	ExitSSLCertProblem   = 58
	ExitPeerFailedVerify = 60
	ExitSSLCACertBadFile = 77
)

// Error is a failed transfer: curl's exit code and its message, printed as "curl: (code) message".
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("(%d) %s", e.Code, e.Msg) }

func errorf(code int, format string, a ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, a...)}
}

// classify turns what net/http returned into curl's exit code and message. received is how much of the
// body arrived, for the timeout message; timedOut says the -m deadline passed.
func classify(err error, timedOut bool, elapsedMS int64, received int64) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	if timedOut || errors.Is(err, context.DeadlineExceeded) {
		return errorf(ExitTimeout, "Operation timed out after %d milliseconds with %d bytes received", elapsedMS, received)
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return errorf(ExitPeerFailedVerify, "SSL certificate problem: %v", certReason(err))
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return errorf(ExitPeerFailedVerify, "SSL certificate problem: unable to get local issuer certificate")
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return errorf(ExitSSLConnect, "TLS connect error: %v", err)
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return errorf(ExitSSLConnect, "TLS connect error: %v", err)
	}
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return errorf(ExitRecvError, "Recv failure: Connection reset by peer")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(ExitPartialFile, "transfer closed with outstanding read data remaining")
	case errors.Is(err, io.EOF):
		return errorf(ExitGotNothing, "Empty reply from server")
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return errorf(ExitRecvError, "Recv failure: %v", err)
	}
	return errorf(ExitRecvError, "Failure when receiving data from the peer: %v", err)
}

func certReason(err error) string {
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return "unable to get local issuer certificate"
	}
	var host x509.HostnameError
	if errors.As(err, &host) {
		return "no alternative certificate subject name matches target host name"
	}
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.Expired {
		return "certificate has expired"
	}
	return err.Error()
}
