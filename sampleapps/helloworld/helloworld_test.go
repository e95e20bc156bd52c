package helloworld

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHello(t *testing.T) {
	for _, tc := range []struct{ version, path, want string }{
		{"v1", "/hello", "Hello version: v1, instance: helloworld-v1-5b8d6f7c9-abcde\n"},
		{"v2", "/hello", "Hello version: v2, instance: helloworld-v1-5b8d6f7c9-abcde\n"},
		{"v1", "/health", "Helloworld is healthy"},
	} {
		rec := httptest.NewRecorder()
		NewHandler(tc.version, "helloworld-v1-5b8d6f7c9-abcde").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != 200 || rec.Body.String() != tc.want {
			t.Errorf("%s %s = %d %q, want %q", tc.version, tc.path, rec.Code, rec.Body, tc.want)
		}
	}
}
