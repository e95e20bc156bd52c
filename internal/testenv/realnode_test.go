package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The real node's tests: pods run in containers, from images the project built offline.

// probePod is a pod on the real node running the probe program with args.
func probePod(name, image string, args ...string) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			Containers: []corev1.Container{{
				Name: "probe", Image: image, Args: args,
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false)},
			}},
		},
	}
	OnRealNode(&pod.Spec)
	return pod
}

func createPod(t *testing.T, env *Env, ns string, pod *corev1.Pod) {
	t.Helper()
	if _, err := env.Client().CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", pod.Name, err)
	}
}

// waitPodReady waits for the pod's containers to run and pass readiness; a container that fails
// ends the wait at once with its message.
func waitPodReady(t *testing.T, env *Env, ns, name string) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	Poll(t, "pod "+name+" Ready", func(ctx context.Context) (bool, error) {
		p, err := env.Client().CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pod = p
		for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			if w := s.State.Waiting; w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff" || w.Reason == "CrashLoopBackOff") {
				t.Fatalf("pod %s: container %s: %s: %s", name, s.Name, w.Reason, w.Message)
			}
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, fmt.Errorf("phase %s", p.Status.Phase)
	})
	return pod
}

func probeImage(t *testing.T, env *Env) string {
	t.Helper()
	return env.BuildImages(t, Probe)[Probe.Name]
}

// execProbe runs the probe program in a pod's container through the API server and the kubelet.
func execProbe(t *testing.T, env *Env, ns, pod string, args ...string) (string, error) {
	t.Helper()
	return env.Kubectl(t.Context(), append([]string{"exec", "-n", ns, pod, "-c", "probe", "--", "/probe"}, args...)...)
}

func TestRealNodeServiceDNSAndHairpin(t *testing.T) {
	env := GetRealNode(t)
	ns := env.Namespace(t)
	image := probeImage(t, env)
	createPod(t, env, ns, probePod("web", image, "serve", ":8080", "hello from web"))
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{
			{Port: 80, TargetPort: intstr.FromInt32(8080)},
		}},
	}
	svc, err := env.Client().CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	createPod(t, env, ns, probePod("client", image, "sleep"))
	waitPodReady(t, env, ns, "web")
	waitPodReady(t, env, ns, "client")

	for _, target := range []string{
		"http://web." + ns + ".svc.cluster.local/", // cluster DNS, then the ClusterIP
		"http://web/", // the pod's search path
		"http://" + svc.Spec.ClusterIP + "/",
	} {
		var out string
		Poll(t, "GET "+target, func(context.Context) (bool, error) {
			out, err = execProbe(t, env, ns, "client", "get", target)
			return err == nil, err
		})
		if strings.TrimSpace(out) != "hello from web" {
			t.Errorf("GET %s from a pod = %q", target, out)
		}
	}
	// Hairpin: a pod reaches itself through its own Service (by the full name: in its own /etc/hosts
	// "web" is the pod itself).
	if out, err := execProbe(t, env, ns, "web", "get", "http://web."+ns+".svc.cluster.local/"); err != nil || strings.TrimSpace(out) != "hello from web" {
		t.Errorf("GET of its own Service from the web pod = %q, %v", out, err)
	}
	// The host reaches the ClusterIP too (the service range is routed onto the bridge).
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + svc.Spec.ClusterIP + "/")
	if err != nil {
		t.Fatalf("GET the ClusterIP from the host: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(body)) != "hello from web" {
		t.Errorf("GET the ClusterIP from the host = %q", body)
	}
	// Cluster DNS answers only for the cluster: no upstream, every other name is NXDOMAIN.
	out, err := execProbe(t, env, ns, "client", "lookup", "example.com")
	if err == nil || !strings.Contains(err.Error(), "no such host") {
		t.Errorf("lookup example.com from a pod = %q, %v; want no such host", out, err)
	}
}

// A pod reaches the API server the way in-cluster clients do: the kubernetes Service, the
// ServiceAccount token and the cluster's CA from kube-root-ca.crt.
func TestRealNodeInClusterAPIAccess(t *testing.T) {
	env := GetRealNode(t)
	ns := env.Namespace(t)
	createPod(t, env, ns, probePod("api", probeImage(t, env), "sleep"))
	waitPodReady(t, env, ns, "api")
	for _, url := range []string{"https://kubernetes.default.svc/version", "https://" + serviceClusterIP + "/version"} {
		// Polled: a Ready pod's first exec may come before its network or the cluster's DNS serves
		// it; a pod that never gets through fails the poll.
		var out string
		Poll(t, "GET "+url+" from a pod", func(context.Context) (bool, error) {
			var err error
			out, err = execProbe(t, env, ns, "api", "get", url)
			return err == nil, err
		})
		if !strings.Contains(out, `"gitVersion": "`+env.Version+`"`) {
			t.Errorf("GET %s from a pod = %s; want gitVersion %s", url, out, env.Version)
		}
	}
	// The token is the pod's own: a request it has no right to is forbidden, not anonymous.
	_, err := execProbe(t, env, ns, "api", "get", "https://kubernetes.default.svc/api/v1/namespaces/kube-system/secrets")
	if err == nil || !strings.Contains(err.Error(), "403 Forbidden") {
		t.Errorf("listing kube-system's secrets with the default ServiceAccount: %v; want 403 Forbidden", err)
	}
}

// kubectl logs, exec and port-forward reach a real container through the API server and the kubelet.
func TestRealNodeKubectlLogsExecPortForward(t *testing.T) {
	env := GetRealNode(t)
	ns := env.Namespace(t)
	createPod(t, env, ns, probePod("web", probeImage(t, env), "serve", ":8080", "hello through port-forward"))
	waitPodReady(t, env, ns, "web")

	var lookup string
	Poll(t, "exec lookup kubernetes.default", func(context.Context) (bool, error) {
		var err error
		lookup, err = execProbe(t, env, ns, "web", "lookup", "kubernetes.default")
		return err == nil, err
	})
	if !strings.Contains(lookup, serviceClusterIP) {
		t.Errorf("exec lookup kubernetes.default = %q", lookup)
	}
	// Logs are a container's own output: a pod whose program prints and exits.
	createPod(t, env, ns, probePod("talker", probeImage(t, env), "lookup", "kubernetes.default.svc.cluster.local"))
	Poll(t, "logs of talker", func(ctx context.Context) (bool, error) {
		out, err := env.Kubectl(ctx, "logs", "-n", ns, "talker")
		return strings.Contains(out, serviceClusterIP), err
	})

	port := freeLoopbackPort(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pf := exec.CommandContext(ctx, Cache{Dir: env.Cluster.cacheDir}.Binary(env.Version, Kubectl),
		"--kubeconfig", env.Kubeconfig, "port-forward", "-n", ns, "pod/web", strconv.Itoa(port)+":8080")
	if err := pf.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = pf.Wait() }()
	var body string
	Poll(t, "GET through kubectl port-forward", func(context.Context) (bool, error) {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err == nil, err
	})
	if strings.TrimSpace(body) != "hello through port-forward" {
		t.Errorf("GET through port-forward = %q", body)
	}
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	p, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return p[0]
}

// natPod has an init container, running as root like a sidecar's traffic capture does, that
// redirects the pod's outgoing TCP to port 80 to 15001, with or without NET_ADMIN.
func natPod(image string, netAdmin bool) *corev1.Pod {
	pod := probePod("nat", image, "serve", ":15001", "captured")
	caps := &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}
	if netAdmin {
		caps.Add = []corev1.Capability{"NET_ADMIN"}
	}
	pod.Spec.InitContainers = []corev1.Container{{
		Name: "capture", Image: image, Args: []string{"nat-redirect", "80", "15001"},
		SecurityContext: &corev1.SecurityContext{RunAsUser: ptr.To[int64](0), RunAsNonRoot: ptr.To(false), Capabilities: caps},
	}}
	return pod
}

func TestRealNodeNATRewriteNeedsNetAdmin(t *testing.T) {
	env := GetRealNode(t)
	image := probeImage(t, env)

	t.Run("with NET_ADMIN", func(t *testing.T) {
		ns := env.Namespace(t)
		createPod(t, env, ns, natPod(image, true))
		waitPodReady(t, env, ns, "nat")
		// Nothing listens on port 80: only the init container's rule makes this answer. Polled:
		// Ready (no readiness probe) may come before the server on :15001 listens.
		var out string
		Poll(t, "GET :80 inside the pod", func(context.Context) (bool, error) {
			var err error
			out, err = execProbe(t, env, ns, "nat", "get", "http://127.0.0.1:80/")
			return err == nil, err
		})
		if strings.TrimSpace(out) != "captured" {
			t.Errorf("GET :80 inside the pod = %q; want the answer of :15001", out)
		}
	})
	t.Run("without NET_ADMIN", func(t *testing.T) {
		ns := env.Namespace(t)
		createPod(t, env, ns, natPod(image, false))
		var msg string
		Poll(t, "init container fails", func(ctx context.Context) (bool, error) {
			p, err := env.Client().CoreV1().Pods(ns).Get(ctx, "nat", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, s := range p.Status.InitContainerStatuses {
				if term := s.LastTerminationState.Terminated; term != nil {
					msg = term.Message
					return true, nil
				}
				if term := s.State.Terminated; term != nil {
					if term.ExitCode == 0 {
						return false, fmt.Errorf("the init container succeeded without NET_ADMIN")
					}
					msg = term.Message
					return true, nil
				}
			}
			return false, nil
		})
		if !strings.Contains(msg, "operation not permitted") {
			t.Errorf("init container without NET_ADMIN ended with %q; want operation not permitted", msg)
		}
	})
}
