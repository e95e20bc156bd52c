package images

import (
	"maps"
	"slices"

	"github.com/meshctl/meshctl/sampleapps"
)

// samplePrograms are the sample applications' images, one per line of sampleapps.Images: the one
// mesh-samples binary, started as the application the image is for, with the environment, ports and
// user of the upstream image it replaces, and the links that let tutorials run curl and sleep in it.
func samplePrograms() []Program {
	links := map[string]string{}
	for _, l := range sampleapps.Links {
		links[l] = sampleapps.Entrypoint
	}
	var out []Program
	for _, img := range sampleapps.Images() {
		env := []string{"PATH=" + sampleapps.Path}
		for _, k := range slices.Sorted(maps.Keys(img.Env)) {
			env = append(env, k+"="+img.Env[k])
		}
		out = append(out, Program{
			Name: "samples/" + img.Name, Package: "./cmd/mesh-samples", Binary: sampleapps.Entrypoint,
			Args: img.Args, Env: env, Ports: img.Ports, User: img.User, Symlinks: links,
			Description: "meshctl's sample application " + img.Name,
		})
	}
	return out
}
