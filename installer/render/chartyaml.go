package render

import (
	"path"

	"github.com/meshctl/meshctl/kubeyaml"
)

// checkChartYAML reads a chart's YAML files other than templates (values.yaml, Chart.yaml,
// requirements.yaml, Chart.lock) through kubeyaml before Helm's loader does, so that a chart from
// --manifests DIR with bad YAML or an alias bomb fails with the file and line. Helm reads them with
// sigs.k8s.io/yaml, whose yaml.v2 also refuses alias bombs, but names neither.
func checkChartYAML(chartDir, name string, data []byte) error {
	switch path.Base(name) {
	case "Chart.yaml", "values.yaml", "requirements.yaml", "requirements.lock", "Chart.lock":
	default:
		return nil // templates and files/ are text to Helm until rendered
	}
	for _, doc := range kubeyaml.Split(data, path.Join(chartDir, name)) {
		if _, err := doc.Node(); err != nil {
			return err
		}
	}
	return nil
}
