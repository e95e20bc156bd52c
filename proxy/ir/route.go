package ir

import (
	"net/http"
	"regexp"
	"time"
)

// RouteConfig is a route table: virtual hosts chosen by the request's authority.
type RouteConfig struct {
	Name         string
	VirtualHosts []*VirtualHost
}

// VirtualHost matches requests by authority (port stripped): exact domains first, then the longest
// "*.suffix" wildcard, then "*".
type VirtualHost struct {
	Name       string
	Domains    []string
	Routes     []*Route // tried in order
	RequireTLS bool
}

// Route: the first route whose Match holds handles the request with exactly one of Forward,
// Redirect or Direct.
type Route struct {
	Name     string
	Match    RouteMatch
	Forward  *Forward
	Redirect *Redirect
	Direct   *DirectResponse
	Headers  Headers
	Fault    *Fault
	CORS     *CORS
}

// PathKind is how a route matches the path.
type PathKind int

const (
	PathPrefix PathKind = iota
	PathExact
	PathRegex
)

// RouteMatch: every condition must hold.
type RouteMatch struct {
	PathKind        PathKind
	Path            string         // the prefix or exact path
	PathRegex       *regexp.Regexp // PathRegex: matches the whole path
	CaseInsensitive bool
	Headers         []HeaderMatch
	Query           []QueryMatch
}

// StringKind is how a StringMatch compares.
type StringKind int

const (
	StringExact StringKind = iota
	StringPrefix
	StringSuffix
	StringContains
	StringRegex // the whole value
)

// StringMatch compares a value.
type StringMatch struct {
	Kind       StringKind
	Value      string
	Regex      *regexp.Regexp
	IgnoreCase bool
}

// HeaderMatch tests a request header (pseudo-headers :method, :authority, :scheme, :path included).
// Present alone tests presence; Invert negates the result (a missing header then matches).
type HeaderMatch struct {
	Name    string
	Present bool
	Value   StringMatch
	Invert  bool
}

// QueryMatch tests a query parameter's first value, or its presence.
type QueryMatch struct {
	Name    string
	Present bool
	Value   StringMatch
}

// Forward sends the request to a cluster.
type Forward struct {
	Clusters []WeightedCluster
	Timeout  time.Duration // the whole exchange, retries included; 0: none
	Retry    *RetryPolicy
	Mirrors  []Mirror
	// PrefixRewrite replaces the matched prefix (or whole path) when set (HasPrefixRewrite).
	PrefixRewrite    string
	HasPrefixRewrite bool
	RegexRewrite     *RegexRewrite
	HostRewrite      string
	HashPolicies     []HashPolicy
}

// RetryPolicy says when and how often to retry; each retry prefers an endpoint not tried yet.
type RetryPolicy struct {
	NumRetries    int
	PerTryTimeout time.Duration // 0: the route's timeout
	On            RetryOn
	StatusCodes   []int // for RetryStatusCodes
	// AvoidPreviousHosts: a retry picks a host not tried yet (Envoy's previous_hosts predicate),
	// redrawing at most HostSelectionAttempts times (0: once) before taking the first host of the
	// pool not tried.
	AvoidPreviousHosts    bool
	HostSelectionAttempts int
	// BackoffBase and BackoffMax shape the jittered exponential wait between attempts; 0: Envoy's
	// 25 ms and 10 times the base.
	BackoffBase, BackoffMax time.Duration
}

// RetryOn is a set of retry conditions, Envoy's retry_on.
type RetryOn uint32

const (
	Retry5xx RetryOn = 1 << iota
	RetryGatewayError
	RetryReset
	RetryConnectFailure
	RetryRefusedStream
	RetryRetriable4xx
	RetryStatusCodes
	RetryGRPCCancelled
	RetryGRPCDeadlineExceeded
	RetryGRPCInternal
	RetryGRPCResourceExhausted
	RetryGRPCUnavailable
)

// RetryOnNames are Envoy's names of the conditions.
var RetryOnNames = map[string]RetryOn{
	"5xx": Retry5xx, "gateway-error": RetryGatewayError, "reset": RetryReset,
	"connect-failure": RetryConnectFailure, "refused-stream": RetryRefusedStream,
	"retriable-4xx": RetryRetriable4xx, "retriable-status-codes": RetryStatusCodes,
	"cancelled": RetryGRPCCancelled, "deadline-exceeded": RetryGRPCDeadlineExceeded,
	"internal": RetryGRPCInternal, "resource-exhausted": RetryGRPCResourceExhausted,
	"unavailable": RetryGRPCUnavailable,
}

// Mirror copies a share of requests to another cluster, ignoring the answers.
type Mirror struct {
	Cluster string
	// PerMillion is the share of requests copied, in millionths.
	PerMillion uint32
}

// RegexRewrite substitutes every match of Pattern in the path (\1.. are groups).
type RegexRewrite struct {
	Pattern      *regexp.Regexp
	Substitution string
}

// HashKind is what consistent hashing hashes.
type HashKind int

const (
	HashHeader HashKind = iota
	HashCookie
	HashSourceIP
	HashQuery
)

// HashPolicy yields the key a RING_HASH cluster hashes; the first policy that yields one is used.
type HashPolicy struct {
	Kind HashKind
	Name string        // header, cookie or query parameter
	TTL  time.Duration // cookie: generate one with this lifetime when missing (0: don't)
	Path string        // cookie: the generated cookie's path
}

// Redirect answers with a redirect to the request's URL with these parts replaced.
type Redirect struct {
	Scheme, Host string
	Port         uint16
	Path         string
	Code         int // 301 when 0
}

// DirectResponse answers without forwarding.
type DirectResponse struct {
	Status int
	Body   string
}

// Fault delays and/or aborts a share of requests; each decided independently.
type Fault struct {
	Delay           time.Duration
	DelayPerMillion uint32
	AbortStatus     int
	AbortGRPCStatus int // gRPC requests get this grpc-status instead when set
	AbortPerMillion uint32
}

// CORS answers preflight requests from allowed origins and adds the CORS headers to other answers.
type CORS struct {
	AllowOrigins                              []StringMatch
	AllowMethods, AllowHeaders, ExposeHeaders string
	MaxAge                                    string
	AllowCredentials                          bool
}

// Headers are header mutations of the request before forwarding and of the response.
type Headers struct {
	Request, Response HeaderMutation
}

// HeaderMutation removes, then sets (overwrites), then appends.
type HeaderMutation struct {
	Remove []string
	Set    []Header
	Append []Header
}

// Header is a name and value.
type Header struct{ Name, Value string }

// Empty reports whether the mutation changes nothing.
func (m HeaderMutation) Empty() bool {
	return len(m.Remove) == 0 && len(m.Set) == 0 && len(m.Append) == 0
}

// Apply mutates a header map: remove, then set, then append.
func (m HeaderMutation) Apply(h http.Header) {
	for _, name := range m.Remove {
		h.Del(name)
	}
	for _, s := range m.Set {
		h.Set(s.Name, s.Value)
	}
	for _, a := range m.Append {
		h.Add(a.Name, a.Value)
	}
}
