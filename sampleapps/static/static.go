// Package static serves a directory the way nginx's stock image does on port 80: /usr/share/nginx/html,
// index.html for a directory, a redirect that adds the slash to a directory, 403 for a directory without
// index, 404 pages. YAML that mounts a ConfigMap of pages there works unchanged. When the directory has
// no index.html, / shows a page naming the version and the pod instead of nginx's welcome page.
package static

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/internal/serve"
)

// Root is the directory nginx's image serves.
const Root = "/usr/share/nginx/html"

// Port is where nginx's image listens.
const Port = 80

// server names the program in headers and error pages; it is not nginx and does not say so.
const server = "mesh-samples-static"

// Options configure the server.
type Options struct {
	Root     string // the directory served
	Version  string // SERVICE_VERSION, shown on the default page
	Instance string // HOSTNAME
	Log      *slog.Logger
}

type handler struct {
	Options
	root *os.Root // nil when the directory does not exist: everything is 404 but the default page
}

// NewHandler serves o.Root. It holds the directory open until ctx ends.
func NewHandler(ctx context.Context, o Options) (http.Handler, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	h := &handler{Options: o}
	root, err := os.OpenRoot(o.Root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		o.Log.Warn("the directory to serve does not exist", "root", o.Root)
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", o.Root, err)
	default:
		h.root = root
		context.AfterFunc(ctx, func() { _ = root.Close() })
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", server)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.fail(w, http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	name := path.Clean(p)
	isDir := strings.HasSuffix(p, "/")
	if isDir && name != "/" {
		name += "/"
	}
	h.serve(w, r, name, isDir)
}

// serve answers for the clean URL path name; a name ending in / asks for a directory's index.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, name string, isDir bool) {
	rel := strings.TrimPrefix(name, "/")
	if isDir {
		rel += "index.html"
	}
	rel = filepath.FromSlash(strings.TrimPrefix(rel, "/"))
	if rel == "" {
		rel = "."
	}
	if h.root == nil {
		h.missing(w, r, name, isDir)
		return
	}
	f, err := h.root.Open(rel)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
			h.Log.Warn("open", "path", rel, "err", err)
		}
		h.missing(w, r, name, isDir)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		h.fail(w, http.StatusInternalServerError)
		return
	}
	if st.IsDir() {
		// nginx sends the browser to the directory's URL with a slash, whose index it then serves.
		q := ""
		if r.URL.RawQuery != "" {
			q = "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", path.Base(name)+"/"+q)
		h.fail(w, http.StatusMovedPermanently)
		return
	}
	ctype := mime.TypeByExtension(path.Ext(rel))
	if ctype == "" {
		ctype = "application/octet-stream" // nginx's default_type
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, st.ModTime().Unix(), st.Size()))
	http.ServeContent(w, r, rel, st.ModTime(), f)
}

// missing answers for a path that is not there: the default page for / when there is no index.html,
// 403 for a directory without index (nginx without autoindex), 404 otherwise.
func (h *handler) missing(w http.ResponseWriter, r *http.Request, name string, isDir bool) {
	switch {
	case name == "/":
		h.defaultPage(w, r)
	case isDir && h.root != nil && h.isDir(strings.Trim(name, "/")):
		h.fail(w, http.StatusForbidden)
	default:
		h.fail(w, http.StatusNotFound)
	}
}

func (h *handler) isDir(rel string) bool {
	st, err := h.root.Stat(filepath.FromSlash(rel))
	return err == nil && st.IsDir()
}

var defaultPage = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html>
<head><title>static-nginx {{.Version}}</title></head>
<body>
<h1>static-nginx {{.Version}}</h1>
<p>version: {{.Version}}, instance: {{.Instance}}</p>
<p>{{.Root}} has no index.html: mount your pages there, as you would for nginx.</p>
</body>
</html>
`))

func (h *handler) defaultPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	if r.Method == http.MethodHead {
		return
	}
	if err := defaultPage.Execute(w, h.Options); err != nil {
		h.Log.Error("default page", "err", err)
	}
}

// fail answers with an nginx-style error page.
func (h *handler) fail(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(code)
	status := fmt.Sprintf("%d %s", code, http.StatusText(code))
	fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>%s</center>\r\n</body>\r\n</html>\r\n",
		status, status, server)
}

// Main runs the server: `static [-port 80] [-root /usr/share/nginx/html]`.
func Main(ctx context.Context, p sampleapps.Process) error {
	var root string
	return serve.App{
		Name: "static", Port: Port,
		Flags: func(fs *flag.FlagSet) { fs.StringVar(&root, "root", Root, "directory to serve") },
		Handler: func(p sampleapps.Process, log *slog.Logger) (http.Handler, error) {
			return NewHandler(ctx, Options{Root: root, Version: p.Env("SERVICE_VERSION", "unset"), Instance: p.Hostname(), Log: log})
		},
	}.Main(ctx, p)
}
