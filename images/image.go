package images

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image assembles the program's image from its static binary (a file on disk).
func Image(p Program, binary string, info BuildInfo) (v1.Image, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := info.Validate(); err != nil {
		return nil, err
	}
	base, err := baseLayer()
	if err != nil {
		return nil, err
	}
	prog, err := programLayer(p, binary)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: info.Created.UTC()}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: created, CreatedBy: "meshctl images: base (passwd, group, /tmp)"}},
		mutate.Addendum{Layer: prog, History: v1.History{Created: created, CreatedBy: "meshctl images: " + p.BinaryPath()}},
	)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", p.Name, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", p.Name, err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = created
	cf.Config = v1.Config{
		Entrypoint: append([]string{p.BinaryPath()}, p.Args...),
		Env:        env(p.Env),
		User:       p.UserOrDefault(),
		WorkingDir: "/",
		Labels:     info.labels(p),
	}
	if len(p.Ports) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, port := range slices.Sorted(slices.Values(p.Ports)) {
			cf.Config.ExposedPorts[strconv.Itoa(port)+"/tcp"] = struct{}{}
		}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", p.Name, err)
	}
	return img, nil
}

// env is the image's environment: the program's, with a PATH unless it brings its own.
func env(vars []string) []string {
	if slices.ContainsFunc(vars, func(v string) bool { return strings.HasPrefix(v, "PATH=") }) {
		return vars
	}
	return append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, vars...)
}
