package ca

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	pb "istio.io/api/security/v1alpha1"

	"github.com/meshctl/meshctl/meshapi"
)

// DefaultWorkloadTTL is a workload certificate's lifetime unless configured: Istio's 24 hours.
const DefaultWorkloadTTL = 24 * time.Hour

// Service is Istio's CSR service, istio.v1.auth.IstioCertificateService: proxies send a CSR with their
// service-account token and get a certificate for that service account's SPIFFE identity.
type Service struct {
	pb.UnimplementedIstioCertificateServiceServer

	CA            *Current
	Authenticator interface {
		Authenticate(context.Context) (Caller, error)
	}
	TrustDomain string
	// TTL is the default lifetime; MaxTTL caps what a request asks for (0: TTL).
	TTL, MaxTTL time.Duration
	Metrics     *Metrics
	Log         *slog.Logger
}

// Register adds the service to a gRPC server (meshd's on DiscoveryPort).
func (s *Service) Register(srv *grpc.Server) { pb.RegisterIstioCertificateServiceServer(srv, s) }

// CreateCertificate authenticates the caller, checks the CSR, and signs it for the caller's identity.
// Errors carry gRPC codes the proxy can act on: Unauthenticated, InvalidArgument, PermissionDenied,
// Unavailable (no CA loaded yet).
func (s *Service) CreateCertificate(ctx context.Context, req *pb.IstioCertificateRequest) (*pb.IstioCertificateResponse, error) {
	s.Metrics.CSRs.Inc()
	caller, err := s.Authenticator.Authenticate(ctx)
	if err != nil {
		s.Metrics.AuthnFailed.Inc()
		if errors.Is(err, ErrUnauthenticated) {
			return nil, status.Error(codes.Unauthenticated, err.Error())
		}
		s.log().Warn("CA: cannot authenticate a caller", "err", err)
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	csr, err := parseCSR(req.GetCsr())
	if err != nil {
		s.Metrics.CSRErrors.Inc()
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	identity := meshapi.SPIFFEID(s.TrustDomain, caller.Namespace, caller.ServiceAccount)
	if err := checkRequested(csr, identity); err != nil {
		return nil, status.Error(codes.PermissionDenied, err.Error())
	}
	a := s.CA.Get()
	if a == nil {
		return nil, status.Error(codes.Unavailable, "the CA is not ready: no signing certificate loaded yet")
	}
	leaf, err := a.Issue(csr.PublicKey, Identity{URIs: []string{identity}}, s.ttl(req.GetValidityDuration()))
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	s.Metrics.Issued.Inc()
	return &pb.IstioCertificateResponse{CertChain: a.Chain(leaf)}, nil
}

// ttl is the lifetime to issue for a request asking for seconds (0: the default).
func (s *Service) ttl(seconds int64) time.Duration {
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultWorkloadTTL
	}
	maxTTL := s.MaxTTL
	if maxTTL <= 0 {
		maxTTL = ttl
	}
	if seconds > 0 && seconds < int64(maxTTL/time.Second) {
		return time.Duration(seconds) * time.Second
	}
	if seconds > 0 {
		return maxTTL
	}
	return ttl
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
