package dashboard

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestParsePodRef(t *testing.T) {
	tests := []struct {
		arg     string
		want    PodRef
		wantErr string
	}{
		{arg: "productpage-v1-abc", want: PodRef{Name: "productpage-v1-abc"}},
		{arg: "productpage-v1-abc.default", want: PodRef{Name: "productpage-v1-abc", Namespace: "default"}},
		{arg: "pod/istiod-1.istio-system", want: PodRef{Name: "istiod-1", Namespace: "istio-system"}},
		{arg: "pods/istiod-1", want: PodRef{Name: "istiod-1"}},
		{arg: "po/web.shop", want: PodRef{Name: "web", Namespace: "shop"}},
		{arg: "Pod/web.shop", want: PodRef{Name: "web", Namespace: "shop"}},
		// A pod name may hold dots; the namespace is after the last one, as in istioctl.
		{arg: "a.b.c", want: PodRef{Name: "a.b", Namespace: "c"}},
		{arg: "deployment/istiod", wantErr: `only pods can be forwarded, not "deployment"`},
		{arg: "web.", wantErr: "empty namespace after the dot"},
		{arg: ".default", wantErr: "empty pod name"},
		{arg: "pod/", wantErr: "empty pod name"},
		{arg: "Web", wantErr: `pod name "Web"`},
		{arg: "web.Shop", wantErr: `namespace "Shop"`},
		{arg: "web.sh_op", wantErr: `namespace "sh_op"`},
		{arg: "pod/a/b", wantErr: `pod name "a/b"`},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			got, err := ParsePodRef(tt.arg)
			if tt.wantErr != "" {
				var pe *PodRefError
				if !errors.As(err, &pe) {
					t.Fatalf("ParsePodRef(%q) = %+v, %v; want a *PodRefError", tt.arg, got, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.arg) {
					t.Fatalf("error %q should contain %q and the argument", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParsePodRef(%q) = %+v, %v; want %+v", tt.arg, got, err, tt.want)
			}
		})
	}
}

// FuzzParsePodRef: the parser never panics, accepts only names the API server accepts, and its String form
// parses back to the same reference.
func FuzzParsePodRef(f *testing.F) {
	for _, s := range []string{"web", "web.default", "pod/web.default", "a.b.c", "deployment/x", "", ".", "/", "pod/.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ref, err := ParsePodRef(arg)
		if err != nil {
			var pe *PodRefError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 {
			t.Fatalf("accepted invalid pod name %q from %q", ref.Name, arg)
		}
		if ref.Namespace != "" {
			if errs := validation.IsDNS1123Label(ref.Namespace); len(errs) > 0 {
				t.Fatalf("accepted invalid namespace %q from %q", ref.Namespace, arg)
			}
		}
		again, err := ParsePodRef(ref.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", ref.String(), arg, err)
		}
		if again != ref {
			t.Fatalf("round trip of %q: %+v, then %+v", arg, ref, again)
		}
	})
}
