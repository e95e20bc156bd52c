package meshapi

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckQuantity accepts a Kubernetes resource quantity (100m, 0.5, 128Mi, 1e3), the syntax of
// k8s.io/apimachinery's resource.ParseQuantity, which this package may not import: mesh-proxy imports
// meshapi and must stay clear of apimachinery. quantity_test.go holds the two to the same answers.
//
//	quantity ::= [+|-] number [suffix]
//	number   ::= digits | digits "." [digits] | "." digits
//	suffix   ::= Ki | Mi | Gi | Ti | Pi | Ei | n | u | m | k | M | G | T | P | E | (e|E) [+|-] digits
func CheckQuantity(v string) error {
	if !isQuantity(v) {
		return fmt.Errorf("%q is not a quantity (like 100m or 128Mi)", v)
	}
	return nil
}

func isQuantity(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	whole := leadingDigits(s)
	s = s[whole:]
	fraction := 0
	if s != "" && s[0] == '.' {
		s = s[1:]
		fraction = leadingDigits(s)
		s = s[fraction:]
	}
	if whole == 0 && fraction == 0 {
		return false
	}
	switch s {
	case "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E":
		return true
	}
	if s[0] != 'e' && s[0] != 'E' {
		return false
	}
	exp := s[1:]
	if exp != "" && (exp[0] == '+' || exp[0] == '-') {
		exp = exp[1:]
	}
	if exp == "" || leadingDigits(exp) != len(exp) {
		return false
	}
	_, err := strconv.ParseInt(s[1:], 10, 64)
	return err == nil
}

func leadingDigits(s string) int {
	n := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if n < 0 {
		return len(s)
	}
	return n
}
