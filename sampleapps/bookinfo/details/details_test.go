package details

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func get(t *testing.T, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	NewHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestDetails(t *testing.T) {
	for _, tc := range []struct {
		path, body string
		code       int
	}{
		{"/details/0", `{"id":0,"author":"William Shakespeare","year":1595,"type":"paperback","pages":200,"publisher":"PublisherA","language":"English","ISBN-10":"1234567890","ISBN-13":"123-1234567890"}`, 200},
		{"/details/7", `{"id":7,"author":"William Shakespeare","year":1595,"type":"paperback","pages":200,"publisher":"PublisherA","language":"English","ISBN-10":"1234567890","ISBN-13":"123-1234567890"}`, 200},
		{"/details/abc", `{"error":"please provide numeric product id"}`, 400},
		{"/health", `{"status":"Details is healthy"}`, 200},
	} {
		code, body := get(t, tc.path)
		if code != tc.code || body != tc.body {
			t.Errorf("GET %s = %d %s, want %d %s", tc.path, code, body, tc.code, tc.body)
		}
	}
	if code, _ := get(t, "/other"); code != 404 {
		t.Errorf("GET /other = %d, want 404", code)
	}
}
