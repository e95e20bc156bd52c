package inject_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/internal/golden"
	"github.com/meshctl/meshctl/kubeyaml"
)

var (
	valuesHeader   = regexp.MustCompile(`(?m)^# values: (.*)$`)
	revisionHeader = regexp.MustCompile(`(?m)^# revision: (.*)$`)
)

// configFor returns the config rendered from the charts, for the revision of a "# revision: name"
// header, with the values of a "# values: {json}" header merged over the chart's values.
func configFor(t *testing.T, input []byte) *inject.Config {
	t.Helper()
	revision := ""
	if m := revisionHeader.FindSubmatch(input); m != nil {
		revision = string(m[1])
	}
	in := inputsFor(t, revision)
	m := valuesHeader.FindSubmatch(input)
	if m == nil {
		c, err := inject.ParseConfig(in.Config, in.Values, in.Mesh)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var values, over map[string]any
	if err := json.Unmarshal([]byte(in.Values), &values); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(m[1], &over); err != nil {
		t.Fatalf("bad # values: header: %v", err)
	}
	merged, err := json.Marshal(deepMerge(values, over))
	if err != nil {
		t.Fatal(err)
	}
	c, err := inject.ParseConfig(in.Config, string(merged), in.Mesh)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func deepMerge(base, over map[string]any) map[string]any {
	for k, v := range over {
		if bm, ok := base[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				base[k] = deepMerge(bm, om)
				continue
			}
		}
		base[k] = v
	}
	return base
}

// run injects input and returns the output and the report.
func run(t *testing.T, c *inject.Config, name string, input []byte) (string, string) {
	t.Helper()
	var out, report bytes.Buffer
	s := inject.NewStream(c, &out, inject.StreamOptions{Report: func(r inject.Result) { report.WriteString(r.String() + "\n") }})
	if err := s.Inject(context.Background(), kubeyaml.NewReader(bytes.NewReader(input), name)); err != nil {
		t.Fatalf("inject %s: %v", name, err)
	}
	return out.String(), report.String()
}

func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".out.yaml") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			c := configFor(t, input)
			out, report := run(t, c, filepath.Base(in), input)
			golden.Check(t, strings.TrimSuffix(in, ".yaml")+".out.yaml", []byte(out))
			golden.Check(t, strings.TrimSuffix(in, ".yaml")+".report", []byte(report))

			again, report2 := run(t, c, "again", []byte(out))
			if again != out {
				t.Errorf("injecting the output again changed it:\n%s", again)
			}
			if strings.Contains(report2, ": injected") {
				t.Errorf("a second injection injected again:\n%s", report2)
			}
			checkTyped(t, out)
		})
	}
}

// checkTyped decodes every injected document strictly into its Kubernetes type: a misspelt or misplaced
// field in a template fails here, before any API server sees it.
func checkTyped(t *testing.T, out string) {
	t.Helper()
	r := kubeyaml.NewReader(strings.NewReader(out), "out")
	for {
		doc, err := r.Next()
		if err != nil {
			return
		}
		var head struct{ Kind string }
		if err := sigsyaml.Unmarshal(doc.Raw, &head); err != nil {
			t.Fatalf("output document does not parse: %v\n%s", err, doc.Raw)
		}
		var into any
		switch head.Kind {
		case "Pod":
			into = &corev1.Pod{}
		case "Deployment":
			into = &appsv1.Deployment{}
		case "StatefulSet":
			into = &appsv1.StatefulSet{}
		case "DaemonSet":
			into = &appsv1.DaemonSet{}
		case "ReplicaSet":
			into = &appsv1.ReplicaSet{}
		case "ReplicationController":
			into = &corev1.ReplicationController{}
		case "Job":
			into = &batchv1.Job{}
		case "CronJob":
			into = &batchv1.CronJob{}
		case "List":
			into = &corev1.List{}
		default:
			continue
		}
		if err := sigsyaml.UnmarshalStrict(doc.Raw, into); err != nil {
			t.Errorf("%s does not decode strictly: %v", head.Kind, err)
		}
	}
}
