package analyze

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/meshctl/meshctl/kubeyaml"
)

// fileInput is what reading the files gave: objects, and the documents that could not be read.
type fileInput struct {
	objects []*Object
	bad     []*kubeyaml.Error
}

// readFiles reads every document of the files (directories expanded, "-" for stdin). A document that does
// not parse is recorded and skipped; the others are still read.
func readFiles(paths []string, recursive bool, stdin io.Reader, defaultNS string) (*fileInput, error) {
	files, err := kubeyaml.ExpandPaths(paths, recursive)
	if err != nil {
		return nil, err
	}
	in := &fileInput{}
	for _, path := range files {
		if err := in.readFile(path, stdin, defaultNS); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func (in *fileInput) readFile(path string, stdin io.Reader, defaultNS string) error {
	// Analysis keeps every object until the end anyway, so the file is read whole and its documents
	// are slices of it: no per-line copying.
	var data []byte
	var err error
	switch {
	case path != kubeyaml.Stdin:
		data, err = os.ReadFile(path)
	case stdin == nil:
		return fmt.Errorf("read standard input: no input stream")
	default:
		data, err = io.ReadAll(stdin)
	}
	if err != nil {
		in.bad = append(in.bad, &kubeyaml.Error{Source: path, Err: fmt.Errorf("cannot read: %w", err)})
		return nil
	}
	for _, doc := range kubeyaml.Split(data, path) {
		objs, err := doc.ObjectValues()
		if err != nil {
			var ke *kubeyaml.Error
			if !errors.As(err, &ke) {
				ke = &kubeyaml.Error{Source: path, Line: doc.Line, Err: err}
			}
			in.bad = append(in.bad, ke)
			continue
		}
		for i := range objs {
			o := newObject(objs[i].Value, defaultNS)
			o.src = &objs[i]
			o.Origin = Origin{File: path}
			in.objects = append(in.objects, o)
		}
	}
	return nil
}
