package dashboard

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshctl/meshctl/internal/testenv"
)

// The dashboard's forward reaches a program that really runs in a pod: found by the registry's
// selectors on the real node, forwarded through the API server and the kubelet, not KWOK's rules.
func TestForwardToRealPod(t *testing.T) {
	env := testenv.GetRealNode(t)
	ns := env.Namespace(t)
	image := env.BuildImages(t, testenv.Probe)[testenv.Probe.Name]
	kiali, _ := Lookup("kiali")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kiali", Labels: map[string]string{"app": "kiali"}},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			Containers: []corev1.Container{{
				Name: "kiali", Image: image, Args: []string{"serve", ":20001", "kiali in a container"},
				Ports: []corev1.ContainerPort{{ContainerPort: int32(kiali.RemotePort)}},
			}},
		},
	}
	testenv.OnRealNode(&pod.Spec)
	createPod(t, env.Client(), ns, pod)
	waitPod(t, env.Client(), ns, "kiali", "usable", isUsable)

	found, err := FindPod(t.Context(), env.Client(), ns, kiali.Selectors, kiali.InstallHint)
	if err != nil {
		t.Fatal(err)
	}
	if found.Spec.NodeName != testenv.RealNodeName {
		t.Fatalf("pod runs on %s, want %s", found.Spec.NodeName, testenv.RealNodeName)
	}
	fw := &Forwarder{Config: env.Config(), Client: env.Client()}
	s, err := fw.Start(t.Context(), found, ForwardOptions{RemotePort: kiali.RemotePort})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Polled: the pod is Ready (it has no readiness probe) as soon as its container started,
	// maybe before the program in it listens; a forward that never gets through fails the poll.
	var body string
	testenv.Poll(t, "GET "+s.URL(kiali.Path)+" through the forward", func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL(kiali.Path), nil)
		if err != nil {
			return false, err
		}
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err == nil, err
	})
	if strings.TrimSpace(body) != "kiali in a container" {
		t.Errorf("GET %s through the forward = %q", s.URL(kiali.Path), body)
	}
}
