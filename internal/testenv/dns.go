package testenv

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// Cluster DNS for the real node's pods: CoreDNS as kube-system/coredns behind the kube-dns Service,
// as kubeadm deploys it. It answers for cluster.local and the reverse zones of the pod and service
// ranges from the API's Services and EndpointSlices, and NXDOMAIN for every other name: there is no
// upstream, so no query leaves the machine.
const (
	coreDNSName  = "coredns"
	coreDNSPort  = 1053 // not 53: the image runs as a non-root user without capabilities
	coreDNSReady = 8181
	coreDNSLive  = 8080
)

const coreDNSCorefile = `cluster.local:1053 96.10.in-addr.arpa:1053 244.10.in-addr.arpa:1053 {
    errors
    health :8080
    ready :8181
    kubernetes cluster.local 96.10.in-addr.arpa 244.10.in-addr.arpa {
        pods insecure
        ttl 30
    }
    cache 30
    loadbalance
}
.:1053 {
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
`

// coreDNSObjects are the objects of cluster DNS, image being CoreDNS's imported image.
func coreDNSObjects(image string) (*corev1.ServiceAccount, *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding, *corev1.ConfigMap, *appsv1.Deployment, *corev1.Service) {
	ns := metav1.NamespaceSystem
	labels := map[string]string{"k8s-app": "kube-dns"}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: coreDNSName, Namespace: ns}}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "system:coredns"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"endpoints", "services", "pods", "namespaces"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
		},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "system:coredns"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: ns}},
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: coreDNSName, Namespace: ns},
		Data:       map[string]string{"Corefile": coreDNSCorefile},
	}
	pod := corev1.PodSpec{
		ServiceAccountName: sa.Name,
		PriorityClassName:  "system-cluster-critical",
		// Default: the node's empty resolv.conf; CoreDNS must not ask itself.
		DNSPolicy: corev1.DNSDefault,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:            coreDNSName,
			Image:           image,
			ImagePullPolicy: corev1.PullIfNotPresent,
			Args:            []string{"-conf", "/etc/coredns/Corefile"},
			Ports: []corev1.ContainerPort{
				{Name: "dns", ContainerPort: coreDNSPort, Protocol: corev1.ProtocolUDP},
				{Name: "dns-tcp", ContainerPort: coreDNSPort, Protocol: corev1.ProtocolTCP},
			},
			VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/etc/coredns", ReadOnly: true}},
			ReadinessProbe: &corev1.Probe{
				ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(coreDNSReady)}},
				PeriodSeconds: 1,
			},
			LivenessProbe: &corev1.Probe{
				ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromInt32(coreDNSLive)}},
				PeriodSeconds:    10,
				FailureThreshold: 5,
			},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				ReadOnlyRootFilesystem:   ptr.To(true),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
		Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name}},
		}}},
	}
	OnRealNode(&pod)
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: coreDNSName, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: ns, Labels: labels},
		Spec: corev1.ServiceSpec{
			ClusterIP: clusterDNSIP,
			Selector:  labels,
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(coreDNSPort)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(coreDNSPort)},
			},
		},
	}
	return sa, role, binding, cm, deploy, svc
}

// deployCoreDNS creates cluster DNS's objects.
func deployCoreDNS(ctx context.Context, cs kubernetes.Interface, image string) error {
	sa, role, binding, cm, deploy, svc := coreDNSObjects(image)
	ns := metav1.NamespaceSystem
	create := func(what string, err error) error {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("cluster DNS: create %s: %w", what, err)
		}
		return nil
	}
	opts := metav1.CreateOptions{}
	_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, opts)
	if err := create("ServiceAccount", err); err != nil {
		return err
	}
	_, err = cs.RbacV1().ClusterRoles().Create(ctx, role, opts)
	if err := create("ClusterRole", err); err != nil {
		return err
	}
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, opts)
	if err := create("ClusterRoleBinding", err); err != nil {
		return err
	}
	_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, opts)
	if err := create("ConfigMap", err); err != nil {
		return err
	}
	_, err = cs.CoreV1().Services(ns).Create(ctx, svc, opts)
	if err := create("Service", err); err != nil {
		return err
	}
	_, err = cs.AppsV1().Deployments(ns).Create(ctx, deploy, opts)
	return create("Deployment", err)
}

// coreDNSAvailable waits for CoreDNS's pod to be Ready (its ready plugin answers once the
// kubernetes plugin has synced).
func (cl *Cluster) coreDNSAvailable(ctx context.Context) (bool, error) {
	cs, err := cl.clientset()
	if err != nil {
		return false, err
	}
	d, err := cs.AppsV1().Deployments(metav1.NamespaceSystem).Get(ctx, coreDNSName, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	if d.Status.AvailableReplicas >= 1 {
		return true, nil
	}
	// Say what the pod waits for, for the error when it never comes.
	pods, err := cs.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
	if err != nil || len(pods.Items) == 0 {
		return false, err
	}
	p := pods.Items[0]
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Waiting != nil {
			return false, fmt.Errorf("pod %s: %s %s", p.Name, s.State.Waiting.Reason, s.State.Waiting.Message)
		}
		if !s.Ready {
			return false, fmt.Errorf("pod %s: not ready (restarts %d); its log: kubectl -n kube-system logs %s", p.Name, s.RestartCount, p.Name)
		}
	}
	return false, fmt.Errorf("pod %s: %s", p.Name, p.Status.Phase)
}

// OnRealNode makes a pod ask for the real node: its label as node selector, and a toleration of its
// taint. Without both, a pod lands on a KWOK node and runs nothing.
func OnRealNode(spec *corev1.PodSpec) {
	if spec.NodeSelector == nil {
		spec.NodeSelector = map[string]string{}
	}
	spec.NodeSelector[RealNodeLabel] = "true"
	spec.Tolerations = append(spec.Tolerations, corev1.Toleration{Key: RealNodeTaint, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
}
