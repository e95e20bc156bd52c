// Package localize points the sample YAML at the project's own images for a local cluster, which cannot
// pull the upstream ones: a kustomize image override (sigs.k8s.io/kustomize/api, run in memory) maps
// every upstream image name of sampleapps.Images to ours, and leaves the YAML files as they are.
//
// It is a package of its own so that the sample binary does not link kustomize.
package localize

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/sampleapps"
)

// tagPattern is the grammar of an image tag (the OCI distribution spec's).
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// Images is the kustomize image override for version: one entry per upstream image name, to our image
// of that name's sample, tagged version.
func Images(version string) []types.Image {
	var out []types.Image
	for _, img := range sampleapps.Images() {
		for _, up := range img.Upstream {
			out = append(out, types.Image{Name: up, NewName: sampleapps.Registry + "/" + img.Name, NewTag: version})
		}
	}
	return out
}

// Manifests returns the YAML at name in fsys, a file or the YAML files directly in a directory, with
// the sample images replaced by ours at version. Everything else is what kustomize prints for the same
// objects, in the same order.
func Manifests(fsys fs.FS, name, version string) ([]byte, error) {
	if !tagPattern.MatchString(version) {
		return nil, fmt.Errorf("version %q is not a valid image tag", version)
	}
	files, err := yamlFiles(fsys, name)
	if err != nil {
		return nil, err
	}
	mem := filesys.MakeFsInMemory()
	const dir = "/samples"
	k := types.Kustomization{
		TypeMeta: types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind},
		Images:   Images(version),
	}
	for i, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		// Numbered names keep the input order and cannot collide, whatever the files are called.
		res := fmt.Sprintf("%03d-%s", i, path.Base(f))
		if err := mem.WriteFile(path.Join(dir, res), data); err != nil {
			return nil, err
		}
		k.Resources = append(k.Resources, res)
	}
	kdata, err := yaml.Marshal(k)
	if err != nil {
		return nil, err
	}
	if err := mem.WriteFile(path.Join(dir, "kustomization.yaml"), kdata); err != nil {
		return nil, err
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, dir)
	if err != nil {
		return nil, fmt.Errorf("localize %s: %w", name, err)
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("localize %s: %w", name, err)
	}
	return out, nil
}

// yamlFiles is name itself when it is a file, else the .yaml and .yml files directly in it, sorted.
func yamlFiles(fsys fs.FS, name string) ([]string, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{name}, nil
	}
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			files = append(files, path.Join(name, e.Name()))
		}
	}
	slices.Sort(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no YAML files", name)
	}
	return files, nil
}
