package curl

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Options is a parsed curl command line.
type Options struct {
	URLs    []string
	Outputs []string // -o FILE, one per URL in order; "-" or missing is stdout

	Silent, ShowError   bool // -s, -S
	Head, Include       bool // -I, -i
	Verbose             bool // -v
	Fail, FailWithBody  bool // -f, --fail-with-body
	Location            bool // -L
	Insecure            bool // -k
	Get                 bool // -G: the data goes into the query
	Compressed          bool // --compressed
	HTTP2PriorKnowledge bool // --http2-prior-knowledge: h2c without upgrade
	HTTP11              bool // --http1.1
	Help, Version       bool

	Method    string   // -X
	Headers   []string // -H, as given
	Data      []Data   // -d and its kin, joined with & in order
	UserAgent *string  // -A
	User      string   // -u user:password
	Cookie    string   // -b name=value, or a cookie file to read
	CookieJar string   // -c: the file the cookies are written to at the end
	WriteOut  string   // -w
	MaxRedirs int      // --max-redirs, 50 by default as curl's

	MaxTime        time.Duration // -m
	ConnectTimeout time.Duration // --connect-timeout
	Resolve        []Resolve     // --resolve host:port:addr[,addr]...

	CACert, Cert, Key string // --cacert, --cert, --key: PEM files
}

// DataKind says how a -d-style argument is read.
type DataKind int

const (
	DataASCII     DataKind = iota // -d, --data, --data-ascii: @file with CR and LF removed
	DataBinary                    // --data-binary: @file as is
	DataRaw                       // --data-raw: no @file
	DataURLEncode                 // --data-urlencode: [name]=content, [name]@file
	DataJSON                      // --json: as --data-binary, and JSON headers
)

// Data is one -d-style argument.
type Data struct {
	Kind  DataKind
	Value string
}

// Resolve is one --resolve entry: connections to Host:Port go to Addrs instead of what DNS says.
type Resolve struct {
	Host  string // "*" for any host
	Port  string
	Addrs []string
}

// UsageError is a command line curl does not take; curl exits 2 after printing it.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// option is one curl option: its names, and either the boolean it turns on or what its value sets.
type option struct {
	long  string
	short byte                             // 0 when it has none
	field func(o *Options) *bool           // a boolean option's field; --no-<long> turns it off
	set   func(o *Options, v string) error // an option with a value
}

func boolean(long string, short byte, field func(o *Options) *bool) option {
	return option{long: long, short: short, field: field}
}

func valued(long string, short byte, set func(o *Options, v string) error) option {
	return option{long: long, short: short, set: set}
}

func appendData(k DataKind) func(*Options, string) error {
	return func(o *Options, v string) error { o.Data = append(o.Data, Data{Kind: k, Value: v}); return nil }
}

// seconds reads curl's timeout values: a decimal number of seconds.
func seconds(dst func(o *Options) *time.Duration) func(*Options, string) error {
	return func(o *Options, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(v, "xXpP_") {
			return errNumber
		}
		*dst(o) = time.Duration(math.Min(f, float64(math.MaxInt64/time.Second)) * float64(time.Second))
		return nil
	}
}

var errNumber = fmt.Errorf("expected a proper numerical parameter")

// ignored is the field of the options curl has that change nothing here (no progress meter, no
// buffering, no .curlrc).
func ignored(o *Options) *bool { return new(bool) }

var options = []option{
	boolean("silent", 's', func(o *Options) *bool { return &o.Silent }),
	boolean("show-error", 'S', func(o *Options) *bool { return &o.ShowError }),
	boolean("head", 'I', func(o *Options) *bool { return &o.Head }),
	boolean("include", 'i', func(o *Options) *bool { return &o.Include }),
	boolean("verbose", 'v', func(o *Options) *bool { return &o.Verbose }),
	boolean("fail", 'f', func(o *Options) *bool { return &o.Fail }),
	boolean("fail-with-body", 0, func(o *Options) *bool { return &o.FailWithBody }),
	boolean("location", 'L', func(o *Options) *bool { return &o.Location }),
	boolean("insecure", 'k', func(o *Options) *bool { return &o.Insecure }),
	boolean("get", 'G', func(o *Options) *bool { return &o.Get }),
	boolean("compressed", 0, func(o *Options) *bool { return &o.Compressed }),
	boolean("http2-prior-knowledge", 0, func(o *Options) *bool { return &o.HTTP2PriorKnowledge }),
	boolean("http1.1", 0, func(o *Options) *bool { return &o.HTTP11 }),
	boolean("help", 'h', func(o *Options) *bool { return &o.Help }),
	boolean("version", 'V', func(o *Options) *bool { return &o.Version }),
	boolean("http2", 0, ignored), // HTTP/2 over TLS is the default already
	boolean("no-progress-meter", 0, ignored),
	boolean("progress-bar", '#', ignored),
	boolean("no-buffer", 'N', ignored),
	boolean("disable", 'q', ignored),

	valued("output", 'o', func(o *Options, v string) error { o.Outputs = append(o.Outputs, v); return nil }),
	valued("write-out", 'w', func(o *Options, v string) error { o.WriteOut = v; return nil }),
	valued("header", 'H', func(o *Options, v string) error { o.Headers = append(o.Headers, v); return nil }),
	valued("request", 'X', func(o *Options, v string) error { o.Method = v; return nil }),
	valued("data", 'd', appendData(DataASCII)),
	valued("data-ascii", 0, appendData(DataASCII)),
	valued("data-binary", 0, appendData(DataBinary)),
	valued("data-raw", 0, appendData(DataRaw)),
	valued("data-urlencode", 0, appendData(DataURLEncode)),
	valued("json", 0, appendData(DataJSON)),
	valued("user-agent", 'A', func(o *Options, v string) error { o.UserAgent = &v; return nil }),
	valued("user", 'u', func(o *Options, v string) error { o.User = v; return nil }),
	valued("cookie", 'b', func(o *Options, v string) error { o.Cookie = v; return nil }),
	valued("cookie-jar", 'c', func(o *Options, v string) error { o.CookieJar = v; return nil }),
	valued("max-time", 'm', seconds(func(o *Options) *time.Duration { return &o.MaxTime })),
	valued("connect-timeout", 0, seconds(func(o *Options) *time.Duration { return &o.ConnectTimeout })),
	valued("max-redirs", 0, func(o *Options, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 {
			return errNumber
		}
		o.MaxRedirs = n
		return nil
	}),
	valued("resolve", 0, func(o *Options, v string) error {
		r, err := parseResolve(v)
		if err != nil {
			return err
		}
		o.Resolve = append(o.Resolve, r)
		return nil
	}),
	valued("cacert", 0, func(o *Options, v string) error { o.CACert = v; return nil }),
	valued("cert", 'E', func(o *Options, v string) error { o.Cert = v; return nil }),
	valued("key", 0, func(o *Options, v string) error { o.Key = v; return nil }),
}

func lookupLong(name string) *option {
	for i := range options {
		if options[i].long == name {
			return &options[i]
		}
	}
	return nil
}

func lookupShort(c byte) *option {
	for i := range options {
		if c != 0 && options[i].short == c {
			return &options[i]
		}
	}
	return nil
}

// ParseArgs reads a curl command line (without the program name). Options and URLs mix in any order;
// short options cluster (-sS) and take their value attached or as the next argument (-XPOST, -X POST);
// long options take theirs as the next argument (curl has no --opt=value).
func ParseArgs(args []string) (*Options, error) {
	o := &Options{MaxRedirs: 50}
	for i := 0; i < len(args); i++ {
		a := args[i]
		// value is the value of option name: the rest of a cluster, else the next argument.
		value := func(name, attached string) (string, error) {
			if attached != "" {
				return attached, nil
			}
			if i+1 >= len(args) {
				return "", &UsageError{fmt.Sprintf("option %s: requires parameter", name)}
			}
			i++
			return args[i], nil
		}
		apply := func(opt *option, name, attached string) (consumed bool, err error) {
			if opt.field != nil {
				*opt.field(o) = true
				return false, nil
			}
			v, err := value(name, attached)
			if err != nil {
				return false, err
			}
			if err := opt.set(o, v); err != nil {
				return false, &UsageError{fmt.Sprintf("option %s: %v", name, err)}
			}
			return true, nil
		}
		switch {
		case strings.HasPrefix(a, "--"):
			opt := lookupLong(a[2:])
			if opt == nil {
				// curl's boolean options have a --no- form.
				if base, ok := strings.CutPrefix(a[2:], "no-"); ok {
					if b := lookupLong(base); b != nil && b.field != nil {
						*b.field(o) = false
						continue
					}
				}
				return nil, &UsageError{fmt.Sprintf("option %s: is unknown", a)}
			}
			if _, err := apply(opt, a, ""); err != nil {
				return nil, err
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				opt := lookupShort(a[j])
				if opt == nil {
					return nil, &UsageError{fmt.Sprintf("option -%c: is unknown", a[j])}
				}
				consumed, err := apply(opt, "-"+a[j:j+1], a[j+1:])
				if err != nil {
					return nil, err
				}
				if consumed {
					break
				}
			}
		default:
			o.URLs = append(o.URLs, a)
		}
	}
	if len(o.URLs) == 0 && !o.Help && !o.Version {
		return nil, &UsageError{"no URL specified"}
	}
	return o, nil
}

// parseResolve reads host:port:addr[,addr]...; an IPv6 address may be in brackets.
func parseResolve(v string) (Resolve, error) {
	v = strings.TrimPrefix(v, "+") // "+" asks curl to add the entry with a timeout; the same here
	host, rest, ok1 := strings.Cut(v, ":")
	port, addrs, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || host == "" || addrs == "" {
		return Resolve{}, fmt.Errorf("want host:port:address, got %q", v)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return Resolve{}, fmt.Errorf("bad port in %q", v)
	}
	r := Resolve{Host: strings.ToLower(host), Port: port}
	for a := range strings.SplitSeq(addrs, ",") {
		a = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")
		if a == "" {
			return Resolve{}, fmt.Errorf("empty address in %q", v)
		}
		r.Addrs = append(r.Addrs, a)
	}
	return r, nil
}
