// Package curl is a curl-compatible HTTP client for the sample pods: the options the tutorials pass to
// `kubectl exec ... -- curl` (-sS, -I, -i, -v, -o, -w '%{http_code}', -H, -X, -d, -L, -m, -k,
// --resolve, -f, --http2-prior-knowledge ...), the output curl gives for them, and curl's exit codes
// for the failures they show (6, 7, 22, 28, 56 ...). It is not curl: options it does not know are an
// error, as curl's unknown options are.
package curl

import (
	"context"
	"errors"
	"fmt"

	"github.com/meshctl/meshctl/sampleapps"
)

// Main runs a curl command line and exits with curl's exit code.
func Main(ctx context.Context, p sampleapps.Process) error {
	o, err := ParseArgs(p.Args)
	if err != nil {
		var usage *UsageError
		if errors.As(err, &usage) {
			fmt.Fprintf(p.Stderr, "curl: %s\ncurl: try 'curl --help' for more information\n", usage.Msg)
			return &sampleapps.ExitError{Code: ExitUsage}
		}
		return err
	}
	switch {
	case o.Help:
		fmt.Fprint(p.Stdout, help)
		return nil
	case o.Version:
		fmt.Fprintf(p.Stdout, "curl-compatible client of mesh-samples %s (not curl)\nProtocols: http https\nFeatures: HTTP2 SSL\n", p.Version)
		return nil
	}
	code := Run(ctx, o, Env{
		Stdin: p.Stdin, Stdout: p.Stdout, Stderr: p.Stderr,
		UserAgent: "mesh-samples-curl/" + p.Version,
	})
	if code != ExitOK {
		return &sampleapps.ExitError{Code: code}
	}
	return nil
}

const help = `Usage: curl [options...] <url>...
A curl-compatible HTTP client (mesh-samples), with the options Istio's tutorials use:
 -b, --cookie <name=value>       Send a cookie
     --cacert <file>             CA certificates to verify the server with (PEM)
 -E, --cert <file>               Client certificate (PEM); --key <file> its key
     --compressed                Ask for a compressed response and decompress it
     --connect-timeout <seconds> Maximum time for each connection attempt
 -d, --data <data>               HTTP POST data (@file: read it, without line breaks)
     --data-binary <data>        HTTP POST data (@file: read it as is)
     --data-raw <data>           HTTP POST data, no @file
     --data-urlencode <data>     HTTP POST data, URL-encoded
 -f, --fail                      Fail with exit code 22 and no output on HTTP errors
     --fail-with-body            Fail with exit code 22 on HTTP errors, after the body
 -G, --get                       Put the -d data in the URL's query and GET
 -H, --header <header>           Send a header ("Name:" removes one, "Name;" sends it empty)
 -I, --head                      Show the headers only (HEAD request)
     --http1.1                   Use HTTP/1.1 only
     --http2-prior-knowledge     Use HTTP/2 without upgrade (h2c)
 -i, --include                   Include the response headers in the output
 -k, --insecure                  Do not verify the server's certificate
     --json <data>               HTTP POST JSON
 -L, --location                  Follow redirects (--max-redirs <n>, 50 by default)
 -m, --max-time <seconds>        Maximum time for the whole transfer
 -o, --output <file>             Write the body to <file> instead of stdout
     --resolve <host:port:addr>  Connect to addr for host:port
 -X, --request <method>          Request method
 -S, --show-error                Show errors even with -s
 -s, --silent                    Silent mode
 -u, --user <user:password>      Basic authentication
 -A, --user-agent <name>         User-Agent to send
 -v, --verbose                   Show the request and response heads on stderr
 -w, --write-out <format>        Print %{http_code}, %{time_total}, %header{name} ... after the transfer
 -h, --help                      This help
 -V, --version                   Version
`
