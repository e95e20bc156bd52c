package meshapi_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/meshctl/meshctl/meshapi"
)

// quantityCases are both the table and the fuzz corpus.
var quantityCases = map[string]bool{
	"100m": true, "0.5": true, "128Mi": true, "1Gi": true, "1e3": true, "1E3": true, "1E": true, "2e-3": true,
	"1e+3": true, "+1": true, "-1": true, "1.": true, ".5": true, "0": true, "1n": true, "1u": true, "5Ei": true,
	"1.5k": true, "007": true,
	"": false, "m": false, ".": false, "+": false, "1e": false, "1Kb": false, "1KiB": false, "1mi": false,
	"1 m": false, " 1": false, "1.5.5": false, "1e3.5": false, "1ee3": false, "abc": false, "1,000": false,
	"1Ki5": false, "e3": false,
}

func TestCheckQuantity(t *testing.T) {
	for s, want := range quantityCases {
		if got := meshapi.CheckQuantity(s) == nil; got != want {
			t.Errorf("CheckQuantity(%q) accepts: %v, want %v", s, got, want)
		}
	}
}

// FuzzCheckQuantity holds CheckQuantity to apimachinery's ParseQuantity, which the API server reads the
// pod's resources with. The one difference allowed: a "number" without a digit ("+", "-.", "."), which
// ParseQuantity reads as zero and CheckQuantity refuses as the mistake it surely is.
func FuzzCheckQuantity(f *testing.F) {
	for s := range quantityCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ours := meshapi.CheckQuantity(s) == nil
		_, err := resource.ParseQuantity(s)
		theirs := err == nil
		if ours && !theirs {
			t.Fatalf("CheckQuantity accepts %q, ParseQuantity refuses it: %v", s, err)
		}
		if theirs && !ours && hasDigitBeforeSuffix(s) {
			t.Fatalf("ParseQuantity accepts %q, CheckQuantity refuses it", s)
		}
	})
}

// hasDigitBeforeSuffix reports whether the number part of s (before any letter) has a digit.
func hasDigitBeforeSuffix(s string) bool {
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			return true
		case r == '+' || r == '-' || r == '.':
		default:
			return false
		}
	}
	return false
}
