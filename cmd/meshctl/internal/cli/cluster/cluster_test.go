package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/apiretry"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/clitest"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/installer"
)

func TestNameUnreachable(t *testing.T) {
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	f := factory.New(streams)
	kc := clitest.Kubeconfig(t, "127.0.0.1:7")
	f.ConfigFlags.KubeConfig = &kc
	gaveUp := fmt.Errorf("list pods: %w", &apiretry.GaveUpError{Kind: apiretry.Refused, Attempts: 6})
	cases := []struct {
		name string
		err  error
		want string
		code int
	}{
		{"gave up", gaveUp, "no cluster reachable at https://127.0.0.1:7: list pods: connection refused (6 attempts)", exitcode.Error},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), "no cluster reachable at https://127.0.0.1:7: read: context deadline exceeded", exitcode.Error},
		{"diff keeps its code", exitcode.ForDiff(gaveUp), "no cluster reachable at https://127.0.0.1:7", exitcode.DiffTrouble},
		{"installer's own", &installer.UnreachableError{Host: "https://h", Err: errors.New("x")}, "no cluster reachable at https://h: x", exitcode.Error},
		{"one line", fmt.Errorf("list a: %w\nlist b: %w", context.DeadlineExceeded, context.DeadlineExceeded), "no cluster reachable at https://127.0.0.1:7: list a: context deadline exceeded (and 1 more like it)", exitcode.Error},
		{"other errors untouched", errors.New("forbidden"), "forbidden", exitcode.Error},
		{"ctrl-c untouched", context.Canceled, "context canceled", exitcode.Interrupted},
	}
	for _, tc := range cases {
		got := NameUnreachable(f, tc.err)
		if !strings.HasPrefix(got.Error(), tc.want) || (tc.name == "one line" && strings.Contains(got.Error(), "\n")) || exitcode.For(got) != tc.code {
			t.Errorf("%s: %q (exit %d), want %q (exit %d)", tc.name, got, exitcode.For(got), tc.want, tc.code)
		}
	}
}
