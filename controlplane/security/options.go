package security

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/meshctl/meshctl/controlplane/ca"
	"github.com/meshctl/meshctl/meshapi"
)

// Options configure the security components. Zero values get Istio's defaults in Complete.
type Options struct {
	// Namespace is meshd's namespace (POD_NAMESPACE): its CA Secrets, its Lease, its injector ConfigMaps.
	Namespace string
	// Revision is meshd's revision (REVISION); "" and "default" both mean the default revision.
	Revision string
	// TrustDomain of issued identities (the mesh configuration's trustDomain).
	TrustDomain string
	// WorkloadCertTTL is a workload certificate's default lifetime (24h); MaxWorkloadCertTTL caps what a
	// proxy may ask for (90 days, Istio's default).
	WorkloadCertTTL, MaxWorkloadCertTTL time.Duration
	// TokenCacheTTL is the longest a successful TokenReview of a CSR's token is reused (5m, less when
	// the token expires sooner; negative: no cache); TokenCacheSize bounds the reviews kept (10,000, the oldest evicted).
	TokenCacheTTL  time.Duration
	TokenCacheSize int
	// ServingCertTTL is the lifetime of meshd's own serving certificate (24h), renewed at two thirds.
	ServingCertTTL time.Duration
	// ServingDNSNames and ServingIPs are added to the serving certificate's names (istiod.<ns>.svc and the
	// revision's are always there); a test serving on 127.0.0.1 adds that IP.
	ServingDNSNames []string
	ServingIPs      []net.IP
	// WebhookAddr is where the webhooks listen (":15017"); "-" serves no webhooks.
	WebhookAddr string
	// Identity is this replica's name in the leader election (POD_NAME; the host name by default).
	Identity string
	// Leader election timing (client-go's usual 15s/10s/2s).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Unsupported names what of a valid Istio resource meshd will not carry out (the validating
	// webhook's warnings); nil: none.
	Unsupported func(spec proto.Message) []string
	// Registerer receives the metrics (meshd's 15014 registry); nil keeps them private.
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// Complete fills in defaults.
func (o *Options) Complete() {
	if o.Revision == meshapi.DefaultRevision {
		o.Revision = ""
	}
	if o.TrustDomain == "" {
		o.TrustDomain = meshapi.DefaultTrustDomain
	}
	if o.WorkloadCertTTL == 0 {
		o.WorkloadCertTTL = ca.DefaultWorkloadTTL
	}
	if o.MaxWorkloadCertTTL == 0 {
		o.MaxWorkloadCertTTL = 90 * 24 * time.Hour
	}
	if o.ServingCertTTL == 0 {
		o.ServingCertTTL = ca.DefaultWorkloadTTL
	}
	if o.WebhookAddr == "" {
		o.WebhookAddr = ":" + meshapi.WebhookPort.String()
	}
	if o.Identity == "" {
		host, _ := os.Hostname()
		o.Identity = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if o.LeaseDuration == 0 {
		o.LeaseDuration = 15 * time.Second
	}
	if o.RenewDeadline == 0 {
		o.RenewDeadline = 10 * time.Second
	}
	if o.RetryPeriod == 0 {
		o.RetryPeriod = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Validate checks the options after Complete.
func (o *Options) Validate() error {
	var errs []error
	if o.Namespace == "" {
		errs = append(errs, errors.New("security: Namespace is required (meshd's namespace, POD_NAMESPACE)"))
	}
	if o.WorkloadCertTTL < time.Minute {
		errs = append(errs, fmt.Errorf("security: WorkloadCertTTL %s is shorter than a minute", o.WorkloadCertTTL))
	}
	if o.MaxWorkloadCertTTL < o.WorkloadCertTTL {
		errs = append(errs, fmt.Errorf("security: MaxWorkloadCertTTL %s is shorter than WorkloadCertTTL %s", o.MaxWorkloadCertTTL, o.WorkloadCertTTL))
	}
	if o.ServingCertTTL < time.Minute {
		errs = append(errs, fmt.Errorf("security: ServingCertTTL %s is shorter than a minute", o.ServingCertTTL))
	}
	if !(o.LeaseDuration > o.RenewDeadline && o.RenewDeadline > o.RetryPeriod && o.RetryPeriod > 0) {
		errs = append(errs, fmt.Errorf("security: want LeaseDuration > RenewDeadline > RetryPeriod > 0, got %s, %s, %s", o.LeaseDuration, o.RenewDeadline, o.RetryPeriod))
	}
	return errors.Join(errs...)
}
