package ca

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestIssueSelfSigned(t *testing.T) {
	a := selfSigned(t)
	key := ecKey(t)
	leafPEM, err := a.Issue(key.Public(), Identity{URIs: []string{"spiffe://cluster.local/ns/a/sa/b"}}, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf := verifyChain(t, a.Chain(leafPEM), "spiffe://cluster.local/ns/a/sa/b")
	// The lifetime is cut to the root's (an hour), never beyond it.
	if leaf.NotAfter.After(a.cert.NotAfter) {
		t.Errorf("leaf outlives the root: %s > %s", leaf.NotAfter, a.cert.NotAfter)
	}
	if got := len(a.Chain(leafPEM)); got != 2 {
		t.Errorf("self-signed chain has %d entries, want leaf and root", got)
	}
}

func TestPluggedAuthority(t *testing.T) {
	root := selfSigned(t)
	interPEM, interKey := intermediate(t, root, "intermediate")
	rootPEM := root.RootsPEM()
	chain := append(append([]byte{}, interPEM...), rootPEM...)

	a, err := NewAuthority(interPEM, interKey, chain, rootPEM)
	if err != nil {
		t.Fatal(err)
	}
	leafPEM, err := a.Issue(ecKey(t).Public(), Identity{URIs: []string{"spiffe://td/ns/x/sa/y"}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	out := a.Chain(leafPEM)
	if len(out) != 3 {
		t.Fatalf("plug-in chain has %d entries, want leaf, cert-chain, root", len(out))
	}
	verifyChain(t, out, "spiffe://td/ns/x/sa/y")
	// The serving chain carries the intermediate, not the root.
	if der := a.chainDER(); len(der) != 1 || !bytes.Equal(der[0], a.cert.Raw) {
		t.Errorf("chainDER = %d certificates, want the intermediate alone", len(der))
	}

	// A second-level intermediate whose cert-chain.pem leaves out the signing certificate still serves it.
	a2, err := NewAuthority(interPEM, interKey, rootPEM, rootPEM)
	if err != nil {
		t.Fatal(err)
	}
	if der := a2.chainDER(); len(der) != 1 || !bytes.Equal(der[0], a2.cert.Raw) {
		t.Errorf("chainDER without the signing certificate in cert-chain.pem = %d certificates", len(der))
	}
}

func TestPluggedAuthorityRefused(t *testing.T) {
	root := selfSigned(t)
	other := selfSigned(t)
	interPEM, interKey := intermediate(t, root, "intermediate")
	_, otherKey := intermediate(t, root, "other")
	for _, tc := range []struct {
		name                   string
		cert, key, chain, root []byte
		want                   string
	}{
		{"wrong key", interPEM, otherKey, interPEM, root.RootsPEM(), "not the key"},
		{"chain to another root", interPEM, interKey, interPEM, other.RootsPEM(), "does not chain"},
		{"not a CA", []byte("junk"), interKey, nil, root.RootsPEM(), "ca-cert.pem"},
		{"no root", interPEM, interKey, interPEM, []byte("-----BEGIN X-----\n-----END X-----\n"), "root-cert.pem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAuthority(tc.cert, tc.key, tc.chain, tc.root)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestCurrentSetWakesOnChangeOnly(t *testing.T) {
	c := NewCurrent()
	a := selfSigned(t)
	ch := c.Changed()
	c.Set(a)
	select {
	case <-ch:
	default:
		t.Fatal("first Set did not wake watchers")
	}
	ch = c.Changed()
	same, err := NewAuthority(a.RootsPEM(), mustKey(t, a), nil, a.RootsPEM())
	if err != nil {
		t.Fatal(err)
	}
	c.Set(same)
	select {
	case <-ch:
		t.Fatal("Set of the same certificate woke watchers")
	default:
	}
	c.Set(selfSigned(t))
	select {
	case <-ch:
	default:
		t.Fatal("a new root did not wake watchers")
	}
}

func mustKey(t *testing.T, a *Authority) []byte {
	k, err := encodeKey(a.signer)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
