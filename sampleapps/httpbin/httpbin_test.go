package httpbin

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gohttpbin "github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/meshctl/meshctl/sampleapps"
)

func TestServesGoHTTPBin(t *testing.T) {
	srv := httptest.NewServer(NewHandler(Options{MaxBodySize: gohttpbin.DefaultMaxBodySize, MaxDuration: time.Second}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/headers", nil)
	req.Header.Set("end-user", "jason")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Headers map[string][]string `json:"headers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if got := body.Headers["End-User"]; len(got) != 1 || got[0] != "jason" {
		t.Errorf("/headers shows End-User %q, want jason", got)
	}
	resp, err = http.Get(srv.URL + "/status/418")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 418 {
		t.Errorf("/status/418 = %d", resp.StatusCode)
	}
}

func TestPrefixAndHostname(t *testing.T) {
	h := NewHandler(Options{Prefix: "/bin", UseRealHostname: true, Hostname: "httpbin-abc",
		MaxBodySize: gohttpbin.DefaultMaxBodySize, MaxDuration: time.Second})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/bin/hostname", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"hostname": "httpbin-abc"`) {
		t.Errorf("/bin/hostname = %d %s", rec.Code, rec.Body)
	}
}

// TestFlagsBeatEnvironment: as go-httpbin's command, a flag wins over its variable, and a variable
// sets what no flag did.
func TestFlagsBeatEnvironment(t *testing.T) {
	env := map[string]string{"MAX_DURATION": "30s", "PREFIX": "/env", "MAX_BODY_SIZE": "100", "USE_REAL_HOSTNAME": "true"}
	p := sampleapps.Process{Getenv: func(k string) string { return env[k] }}
	var o Options
	fs := flag.NewFlagSet("httpbin", flag.ContinueOnError)
	o.addFlags(fs)
	if err := fs.Parse([]string{"-max-duration", "600s"}); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := o.fromEnv(p, set); err != nil {
		t.Fatal(err)
	}
	if o.MaxDuration != 600*time.Second || o.Prefix != "/env" || o.MaxBodySize != 100 || !o.UseRealHostname {
		t.Errorf("options %+v", o)
	}
	for k, v := range map[string]string{"MAX_DURATION": "soon", "MAX_BODY_SIZE": "big", "PREFIX": "nolead"} {
		env = map[string]string{k: v}
		o = Options{}
		if err := o.fromEnv(p, map[string]bool{}); err == nil {
			t.Errorf("%s=%s: no error", k, v)
		}
	}
}
