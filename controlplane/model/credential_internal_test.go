package model

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestCredential: the Secret keys Istio reads for a credentialName, and the Secrets it does not.
func TestCredential(t *testing.T) {
	for _, tc := range []struct {
		name          string
		data          map[string]string
		cert, key, ca string
		none          bool
	}{
		{name: "kubernetes.io/tls", data: map[string]string{"tls.crt": "C", "tls.key": "K", "ca.crt": "A"}, cert: "C", key: "K", ca: "A"},
		{name: "generic", data: map[string]string{"cert": "C", "key": "K", "cacert": "A"}, cert: "C", key: "K", ca: "A"},
		{name: "generic wins", data: map[string]string{"cert": "C", "key": "K", "tls.crt": "x", "tls.key": "y"}, cert: "C", key: "K"},
		{name: "roots only (NAME-cacert)", data: map[string]string{"ca.crt": "A"}, ca: "A"},
		{name: "generic roots only", data: map[string]string{"cacert": "A"}, ca: "A"},
		{name: "certificate without key: roots kept", data: map[string]string{"tls.crt": "C", "ca.crt": "A"}, ca: "A"},
		{name: "certificate without key", data: map[string]string{"tls.crt": "C"}, none: true},
		{name: "no TLS keys", data: map[string]string{"token": "t", "password": "p"}, none: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &corev1.Secret{Data: map[string][]byte{}}
			for k, v := range tc.data {
				s.Data[k] = []byte(v)
			}
			c := credential(s)
			if tc.none {
				if c != nil {
					t.Fatalf("kept %+v", c)
				}
				return
			}
			if c == nil || string(c.Cert) != tc.cert || string(c.Key) != tc.key || string(c.CA) != tc.ca {
				t.Fatalf("got %+v, want cert %q key %q ca %q", c, tc.cert, tc.key, tc.ca)
			}
		})
	}
}

// TestTrimSecret: the informer keeps a Secret's TLS keys only.
func TestTrimSecret(t *testing.T) {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns", Annotations: map[string]string{"x": "y"}},
		Data: map[string][]byte{"tls.crt": []byte("C"), "tls.key": []byte("K"), "token": []byte("t")}}
	got, err := trim(s)
	if err != nil {
		t.Fatal(err)
	}
	out := got.(*corev1.Secret)
	if len(out.Data) != 2 || out.Data["token"] != nil || out.Annotations != nil || out.Name != "a" {
		t.Errorf("trimmed to %+v", out)
	}
}

// A Secret without TLS material changes nothing the model keeps, unless it held some before.
func TestKeepsSecret(t *testing.T) {
	w := newWorld(DefaultClusterDomain)
	plain := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"}, Data: map[string][]byte{"token": []byte("t")}}
	tlsSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"}, Data: map[string][]byte{"ca.crt": []byte("A")}}
	if w.keepsSecret("ns", "a", plain, false) {
		t.Error("a Secret without TLS keys is kept")
	}
	if !w.keepsSecret("ns", "a", tlsSecret, false) {
		t.Error("a Secret with roots is not kept")
	}
	if err := w.set(tlsSecret); err != nil {
		t.Fatal(err)
	}
	if !w.keepsSecret("ns", "a", plain, false) {
		t.Error("a Secret that loses its TLS keys must still change the model (it goes)")
	}
	if err := w.set(plain); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.creds["ns/a"]; ok {
		t.Error("a Secret that lost its TLS keys is still a credential")
	}
}

// FuzzCredential: whatever a Secret holds, a credential is a certificate with its key, or roots.
func FuzzCredential(f *testing.F) {
	f.Add([]byte("C"), []byte("K"), []byte("A"), []byte(""), []byte(""), []byte(""))
	f.Add([]byte(""), []byte(""), []byte(""), []byte("C"), []byte(""), []byte("A"))
	f.Fuzz(func(t *testing.T, crt, key, ca, gcrt, gkey, gca []byte) {
		s := &corev1.Secret{Data: map[string][]byte{"tls.crt": crt, "tls.key": key, "ca.crt": ca, "cert": gcrt, "key": gkey, "cacert": gca}}
		c := credential(s)
		if c == nil {
			return
		}
		if (len(c.Cert) == 0) != (len(c.Key) == 0) {
			t.Fatalf("a certificate without its key, or a key without its certificate: %+v", c)
		}
		if len(c.Cert) == 0 && len(c.CA) == 0 {
			t.Fatalf("an empty credential kept: %+v", c)
		}
	})
}

// A snapshot shares the last one's credentials unless a Secret changed since.
func TestCredentialsSharedUntilASecretChanges(t *testing.T) {
	w := newWorld(DefaultClusterDomain)
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"}, Data: map[string][]byte{"ca.crt": []byte("A")}}
	if err := w.set(sec); err != nil {
		t.Fatal(err)
	}
	s1 := w.build(1, nil, false)
	if err := w.set(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "ns"}}); err != nil {
		t.Fatal(err)
	}
	s2 := w.build(2, s1, false)
	s2.Credentials["probe"] = nil // the maps are the same one when shared
	if _, shared := s1.Credentials["probe"]; !shared {
		t.Error("a snapshot copied the credentials though no Secret changed")
	}
	delete(s2.Credentials, "probe")
	sec2 := sec.DeepCopy()
	sec2.Data["ca.crt"] = []byte("B")
	if err := w.set(sec2); err != nil {
		t.Fatal(err)
	}
	s3 := w.build(3, s2, false)
	if string(s3.Credentials["ns/a"].CA) != "B" || string(s2.Credentials["ns/a"].CA) != "A" {
		t.Errorf("after the Secret changed: %q, the last snapshot's %q", s3.Credentials["ns/a"].CA, s2.Credentials["ns/a"].CA)
	}
}
