package testenv

import (
	"testing"
)

func TestSkipOnlyWhenAsked(t *testing.T) {
	t.Setenv(SkipEnv, "1")
	var skipped bool
	t.Run("cluster test", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Get(t)
		t.Error("Get returned although cluster tests are to be skipped")
	})
	if !skipped {
		t.Errorf("with %s=1 a cluster test should be skipped", SkipEnv)
	}
}
