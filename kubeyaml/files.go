package kubeyaml

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Stdin is the path that stands for standard input.
const Stdin = "-"

// IsYAMLFile reports whether a directory walk should read the file.
func IsYAMLFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// ExpandPaths turns -f arguments into files, in order: "-" stays as is, a file is kept whatever its
// extension, a directory yields its YAML and JSON files in lexical order (its subdirectories too when
// recursive). A path that does not exist is an error naming it.
func ExpandPaths(paths []string, recursive bool) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == Stdin {
			out = append(out, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, &Error{Source: p, Err: fmt.Errorf("cannot read: %w", unwrapPathError(err))}
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				if path != p && !recursive {
					return filepath.SkipDir
				}
				return nil
			}
			if IsYAMLFile(e.Name()) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, &Error{Source: p, Err: fmt.Errorf("cannot read directory: %w", err)}
		}
		slices.Sort(found)
		out = append(out, found...)
	}
	return out, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
