package ca

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc/metadata"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"

	"github.com/meshctl/meshctl/meshapi"
)

// ErrUnauthenticated is a caller without a valid token for the CA's audience.
var ErrUnauthenticated = errors.New("unauthenticated")

// Caller is an authenticated workload: its service account.
type Caller struct {
	Namespace, ServiceAccount string
}

// Authenticator checks the projected service-account tokens proxies present (gRPC metadata
// "authorization: Bearer <token>") with the API server's TokenReview, for the CA's audience.
type Authenticator struct {
	Reviews  authnclient.TokenReviewInterface
	Audience string
	// Cache keeps successful reviews for a while (nil: every call asks the API server).
	Cache *TokenCache
}

// bearer is the token of the request's authorization metadata.
func bearer(ctx context.Context) (string, error) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return "", fmt.Errorf("%w: no metadata", ErrUnauthenticated)
	}
	for _, v := range md.Get("authorization") {
		if token, ok := strings.CutPrefix(v, "Bearer "); ok && strings.TrimSpace(token) != "" {
			return strings.TrimSpace(token), nil
		}
	}
	return "", fmt.Errorf("%w: no bearer token in the authorization metadata", ErrUnauthenticated)
}

// Authenticate returns the caller of ctx. A token for another audience, expired, or of something other than
// a service account is ErrUnauthenticated; a failing API server is another error.
func (a *Authenticator) Authenticate(ctx context.Context) (Caller, error) {
	token, err := bearer(ctx)
	if err != nil {
		return Caller{}, err
	}
	audience := a.Audience
	if audience == "" {
		audience = meshapi.CAAudience
	}
	if a.Cache == nil {
		return a.review(ctx, token, audience)
	}
	key := keyOf(audience, token)
	if caller, ok := a.Cache.get(key); ok {
		return caller, nil
	}
	caller, err := a.review(ctx, token, audience)
	if err == nil {
		a.Cache.put(key, token, caller)
	}
	return caller, err
}

// review asks the API server who token is, for audience.
func (a *Authenticator) review(ctx context.Context, token, audience string) (Caller, error) {
	review, err := a.Reviews.Create(ctx, &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token, Audiences: []string{audience}}}, metav1.CreateOptions{})
	if err != nil {
		return Caller{}, fmt.Errorf("token review: %w", err)
	}
	st := review.Status
	if !st.Authenticated {
		reason := st.Error
		if reason == "" {
			reason = "token not valid"
		}
		return Caller{}, fmt.Errorf("%w: %s", ErrUnauthenticated, reason)
	}
	// The API server answers with the audiences the token is valid for among those asked; an empty list from
	// an old server means its own audience, which is not ours.
	if !slices.Contains(st.Audiences, audience) {
		return Caller{}, fmt.Errorf("%w: the token is not for audience %q", ErrUnauthenticated, audience)
	}
	ns, sa, err := meshapi.ServiceAccountFromUsername(st.User.Username)
	if err != nil {
		return Caller{}, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	return Caller{Namespace: ns, ServiceAccount: sa}, nil
}
