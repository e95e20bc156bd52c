// Package httpbin runs go-httpbin (github.com/mccutchen/go-httpbin), the Go port of httpbin.org that
// Istio's httpbin sample deploys, with the flags and environment variables of go-httpbin's own command
// that the samples use. Everything it answers is go-httpbin's.
package httpbin

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	gohttpbin "github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/internal/serve"
)

// Port is where go-httpbin's image listens; the sample's Service maps 8000 to it.
const Port = 8080

// Options are the settings of go-httpbin's command this wrapper supports.
type Options struct {
	MaxBodySize            int64
	MaxDuration            time.Duration
	Prefix                 string
	ExcludeHeaders         string
	AllowedRedirectDomains string
	UseRealHostname        bool
	Hostname               string // the real hostname, shown by /hostname with UseRealHostname
}

func (o *Options) addFlags(fs *flag.FlagSet) {
	fs.Int64Var(&o.MaxBodySize, "max-body-size", gohttpbin.DefaultMaxBodySize, "Maximum size of request or response, in bytes")
	fs.DurationVar(&o.MaxDuration, "max-duration", gohttpbin.DefaultMaxDuration, "Maximum duration a response may take")
	fs.StringVar(&o.Prefix, "prefix", "", "Path prefix (empty or start with slash and does not end with slash)")
	fs.StringVar(&o.ExcludeHeaders, "exclude-headers", "", "Drop platform-specific headers. Comma-separated list of headers key to drop, supporting wildcard matching.")
	fs.StringVar(&o.AllowedRedirectDomains, "allowed-redirect-domains", "", "Comma-separated list of domains the /redirect-to endpoint will allow")
	fs.BoolVar(&o.UseRealHostname, "use-real-hostname", false, "Expose value of os.Hostname() in the /hostname endpoint instead of dummy value")
}

// fromEnv fills the settings the command line left at their defaults from go-httpbin's variables.
func (o *Options) fromEnv(p sampleapps.Process, set map[string]bool) error {
	if v := p.Env("MAX_BODY_SIZE", ""); v != "" && !set["max-body-size"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid value %q for env var MAX_BODY_SIZE: parse error", v)
		}
		o.MaxBodySize = n
	}
	if v := p.Env("MAX_DURATION", ""); v != "" && !set["max-duration"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("invalid value %q for env var MAX_DURATION: parse error", v)
		}
		o.MaxDuration = d
	}
	for _, e := range []struct {
		flag, env string
		dst       *string
	}{
		{"prefix", "PREFIX", &o.Prefix},
		{"exclude-headers", "EXCLUDE_HEADERS", &o.ExcludeHeaders},
		{"allowed-redirect-domains", "ALLOWED_REDIRECT_DOMAINS", &o.AllowedRedirectDomains},
	} {
		if v := p.Env(e.env, ""); v != "" && !set[e.flag] {
			*e.dst = v
		}
	}
	if v := p.Env("USE_REAL_HOSTNAME", ""); v == "1" || v == "true" {
		o.UseRealHostname = true
	}
	if o.Prefix != "" && (!strings.HasPrefix(o.Prefix, "/") || strings.HasSuffix(o.Prefix, "/")) {
		return fmt.Errorf("prefix %q must start with a slash and not end with one", o.Prefix)
	}
	return nil
}

// NewHandler is go-httpbin's handler with o's settings.
func NewHandler(o Options) http.Handler {
	opts := []gohttpbin.OptionFunc{
		gohttpbin.WithMaxBodySize(o.MaxBodySize),
		gohttpbin.WithMaxDuration(o.MaxDuration),
		gohttpbin.WithExcludeHeaders(o.ExcludeHeaders),
	}
	if o.Prefix != "" {
		opts = append(opts, gohttpbin.WithPrefix(o.Prefix))
	}
	if o.UseRealHostname {
		opts = append(opts, gohttpbin.WithHostname(o.Hostname))
	}
	var domains []string
	for d := range strings.SplitSeq(o.AllowedRedirectDomains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			domains = append(domains, d)
		}
	}
	if len(domains) > 0 {
		opts = append(opts, gohttpbin.WithAllowedRedirectDomains(domains))
	}
	return gohttpbin.New(opts...).Handler()
}

// Main runs httpbin: go-httpbin's command line (-port 8080, -max-duration 600s, ...) and variables
// (PORT, MAX_DURATION, ...).
func Main(ctx context.Context, p sampleapps.Process) error {
	var o Options
	var fs *flag.FlagSet
	return serve.App{
		Name: "httpbin", Port: Port, PortEnv: "PORT", HostEnv: "HOST",
		Flags: func(f *flag.FlagSet) { fs = f; o.addFlags(f) },
		Handler: func(p sampleapps.Process, _ *slog.Logger) (http.Handler, error) {
			set := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
			if err := o.fromEnv(p, set); err != nil {
				return nil, sampleapps.Usage(err)
			}
			o.Hostname = p.Hostname()
			return NewHandler(o), nil
		},
	}.Main(ctx, p)
}
