package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// epoch is every file's modification time: a layer's digest then depends only on its content.
var epoch = time.Unix(0, 0).UTC()

// entry is one file, folder or symlink of a layer.
type entry struct {
	name     string // absolute path in the image
	mode     int64
	uid, gid int
	typ      byte
	link     string
	data     []byte
}

// tarLayer writes entries as an uncompressed layer, sorted by path so the order never depends on
// how they were listed. Folders that entries need are added.
func tarLayer(entries []entry) (v1.Layer, error) {
	byName := map[string]entry{}
	for _, e := range entries {
		for dir := path.Dir(e.name); dir != "/"; dir = path.Dir(dir) {
			if _, ok := byName[dir]; !ok {
				byName[dir] = entry{name: dir, mode: 0o755, typ: tar.TypeDir}
			}
		}
		byName[e.name] = e
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := byName[n]
		name := strings.TrimPrefix(e.name, "/")
		if e.typ == tar.TypeDir {
			name += "/"
		}
		hdr := &tar.Header{
			Typeflag: e.typ, Name: name, Linkname: e.link, Mode: e.mode,
			Uid: e.uid, Gid: e.gid, Size: int64(len(e.data)),
			ModTime: epoch, Format: tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	// Uncompressed: no compressor version can change the digest, and containerd unpacks it
	// without a gunzip on the way.
	return static.NewLayer(buf.Bytes(), types.OCIUncompressedLayer), nil
}

// baseLayer is what every image has besides its program: users for names in logs and for
// runAsNonRoot, and a writable /tmp. Every image shares it, so containerd stores it once.
func baseLayer() (v1.Layer, error) {
	return tarLayer([]entry{
		{name: "/etc/passwd", mode: 0o644, typ: tar.TypeReg, data: []byte(
			"root:x:0:0:root:/root:/sbin/nologin\n" +
				"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{name: "/etc/group", mode: 0o644, typ: tar.TypeReg, data: []byte("root:x:0:\nnonroot:x:65532:\n")},
		{name: "/home/nonroot", mode: 0o700, uid: 65532, gid: 65532, typ: tar.TypeDir},
		{name: "/root", mode: 0o700, typ: tar.TypeDir},
		{name: "/tmp", mode: 0o1777, typ: tar.TypeDir},
	})
}

// programLayer holds the program's binary and its symlinks.
func programLayer(p Program, binary string) (v1.Layer, error) {
	f, err := os.Open(binary)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", p.Name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("image %s: read %s: %w", p.Name, binary, err)
	}
	entries := []entry{{name: p.BinaryPath(), mode: 0o755, typ: tar.TypeReg, data: data}}
	for link, target := range p.Symlinks {
		entries = append(entries, entry{name: link, mode: 0o777, typ: tar.TypeSymlink, link: target})
	}
	return tarLayer(entries)
}
