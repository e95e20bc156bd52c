package render

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/meshctl/meshctl/manifests"
)

// EmbeddedCharts is the chart tree built into meshctl.
func EmbeddedCharts() fs.FS {
	sub, err := fs.Sub(manifests.FS, "charts")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// ChartsDir returns the chart tree of a --manifests directory: DIR/charts when it exists, else DIR.
func ChartsDir(fsys fs.FS) fs.FS {
	if st, err := fs.Stat(fsys, "charts"); err == nil && st.IsDir() {
		sub, err := fs.Sub(fsys, "charts")
		if err == nil {
			return sub
		}
	}
	return fsys
}

// chartCache loads each chart once per render: gateways render the same chart several times.
type chartCache struct {
	fsys   fs.FS
	mu     sync.Mutex
	charts map[string]*chart.Chart
}

func (c *chartCache) load(dir string) (*chart.Chart, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.charts[dir]; ok {
		return ch, nil
	}
	var files []*loader.BufferedFile
	err := fs.WalkDir(c.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(c.fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, dir+"/")
		if err := checkChartYAML(dir, name, data); err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: name, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read chart %s: %w", dir, err)
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	if c.charts == nil {
		c.charts = map[string]*chart.Chart{}
	}
	c.charts[path.Clean(dir)] = ch
	return ch, nil
}
