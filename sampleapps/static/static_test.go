package static

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configMapDir lays out dir as the kubelet mounts a ConfigMap: the files are links through ..data to a
// timestamped directory.
func configMapDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	ts := filepath.Join(dir, "..2026_11_22_10_00_00.123")
	if err := os.Mkdir(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(ts, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(ts), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		top := strings.Split(name, "/")[0]
		if _, err := os.Lstat(filepath.Join(dir, top)); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", top), filepath.Join(dir, top)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func do(t *testing.T, h http.Handler, method, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func newHandler(t *testing.T, o Options) http.Handler {
	t.Helper()
	h, err := NewHandler(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestServesLikeNginx(t *testing.T) {
	dir := configMapDir(t, map[string]string{
		"index.html":     "<h1>nginx v1</h1>",
		"test.html":      "<h1>v1 test</h1>",
		"sub/index.html": "sub index",
		"style.css":      "body{}",
		"data.bin":       "\x00\x01",
	})
	if err := os.Mkdir(filepath.Join(dir, "..data", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "empty"), filepath.Join(dir, "empty")); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, Options{Root: dir})
	for _, tc := range []struct {
		method, path string
		code         int
		body, ctype  string
		location     string
	}{
		{"GET", "/", 200, "<h1>nginx v1</h1>", "text/html; charset=utf-8", ""},
		{"GET", "/index.html", 200, "<h1>nginx v1</h1>", "text/html; charset=utf-8", ""},
		{"GET", "/test.html", 200, "<h1>v1 test</h1>", "text/html; charset=utf-8", ""},
		{"GET", "/test.html?x=1", 200, "<h1>v1 test</h1>", "text/html; charset=utf-8", ""},
		{"GET", "/style.css", 200, "body{}", "text/css; charset=utf-8", ""},
		{"GET", "/data.bin", 200, "\x00\x01", "application/octet-stream", ""},
		{"GET", "/sub/", 200, "sub index", "text/html; charset=utf-8", ""},
		{"GET", "/sub", 301, "301 Moved Permanently", "text/html", "sub/"},
		{"GET", "/empty/", 403, "403 Forbidden", "text/html", ""},
		{"GET", "/missing.html", 404, "<title>404 Not Found</title>", "text/html", ""},
		{"GET", "/../../etc/passwd", 404, "404 Not Found", "text/html", ""},
		{"GET", "/test.html/", 404, "404 Not Found", "text/html", ""},
		{"POST", "/index.html", 405, "405 Method Not Allowed", "text/html", ""},
		{"HEAD", "/test.html", 200, "", "text/html; charset=utf-8", ""},
	} {
		resp, body := do(t, h, tc.method, tc.path)
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.body) || resp.Header.Get("Content-Type") != tc.ctype ||
			resp.Header.Get("Location") != tc.location {
			t.Errorf("%s %s = %d %q %q location %q, want %d %q %q %q", tc.method, tc.path, resp.StatusCode,
				resp.Header.Get("Content-Type"), body, resp.Header.Get("Location"), tc.code, tc.ctype, tc.body, tc.location)
		}
		if resp.Header.Get("Server") != "mesh-samples-static" {
			t.Errorf("%s: Server %q", tc.path, resp.Header.Get("Server"))
		}
	}
}

func TestConditionalGet(t *testing.T) {
	dir := configMapDir(t, map[string]string{"index.html": "hello"})
	h := newHandler(t, Options{Root: dir})
	resp, _ := do(t, h, "GET", "/")
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("no ETag or Last-Modified: %v", resp.Header)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", rec.Code)
	}
}

func TestSymlinkOutOfRootIsNotServed(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "leak")); err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, newHandler(t, Options{Root: dir}), "GET", "/leak")
	if resp.StatusCode != 404 || strings.Contains(body, "secret") {
		t.Errorf("/leak = %d %q, want 404", resp.StatusCode, body)
	}
}

// TestDefaultPage: without an index.html (no ConfigMap mounted) / says which version and pod answer.
func TestDefaultPage(t *testing.T) {
	for _, root := range []string{t.TempDir(), filepath.Join(t.TempDir(), "absent")} {
		h := newHandler(t, Options{Root: root, Version: "v2", Instance: "nginx-v2-abc"})
		resp, body := do(t, h, "GET", "/")
		if resp.StatusCode != 200 || !strings.Contains(body, "version: v2, instance: nginx-v2-abc") {
			t.Errorf("root %s: / = %d %q", root, resp.StatusCode, body)
		}
		if resp, _ := do(t, h, "GET", "/other.html"); resp.StatusCode != 404 {
			t.Errorf("root %s: /other.html = %d, want 404", root, resp.StatusCode)
		}
	}
}
