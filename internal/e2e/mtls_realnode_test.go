package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/testenv"
)

// strictCase: with a STRICT PeerAuthentication in the namespace, the injected curl still reaches
// nginx (auto mTLS, its certificate from meshd's CA), the peer's identity arrives with the request,
// and the pod without a sidecar ("plain", from the injection case) is refused; before it, PERMISSIVE
// (the default) served the plaintext client too. The policy is removed afterwards.
func strictCase(t *testing.T, env *testenv.Env, ns string, curl func(*testing.T, ...string) string) {
	ctx := t.Context()
	plain := func(ctx context.Context) (string, error) {
		return env.Kubectl(ctx, "exec", "-n", ns, "plain", "--", "curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "http://nginx/")
	}
	testenv.Poll(t, "the pod without a sidecar served in plaintext (PERMISSIVE)", func(ctx context.Context) (bool, error) {
		out, err := plain(ctx)
		return err == nil && strings.TrimSpace(out) == "200", nil
	})
	policy := "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\nspec:\n  mtls:\n    mode: STRICT\n"
	if out, err := env.KubectlInput(ctx, []byte(policy), "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	defer func() {
		_, _ = env.Kubectl(context.Background(), "delete", "-n", ns, "peerauthentication", "default")
	}()
	testenv.Poll(t, "the pod without a sidecar refused (STRICT)", func(ctx context.Context) (bool, error) {
		// curl ran and got no HTTP answer (000); kubectl failing is not a refusal.
		out, err := plain(ctx)
		return strings.TrimSpace(out) == "000", err
	})
	v1, v2 := 0, 0
	for range 3 {
		body := curl(t, "http://nginx/", "http://nginx/", "http://nginx/", "http://nginx/")
		v1 += strings.Count(body, "<h1>nginx v1</h1>")
		v2 += strings.Count(body, "<h1>nginx v2</h1>")
	}
	if v1+v2 != 12 {
		t.Errorf("through STRICT: %d of 12 answered by nginx", v1+v2)
	}
}
