package productpage

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshctl/meshctl/sampleapps/bookinfo/details"
	"github.com/meshctl/meshctl/sampleapps/bookinfo/ratings"
	"github.com/meshctl/meshctl/sampleapps/bookinfo/reviews"
)

// recorder wraps a backend and keeps the headers of the requests it got.
type recorder struct {
	h    http.Handler
	mu   sync.Mutex
	seen []http.Header
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Header.Clone())
	r.mu.Unlock()
	r.h.ServeHTTP(w, req)
}

func (r *recorder) requests() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.seen...)
}

// stack is the four services on loopback, each behind a recorder; a nil handler is the real service.
type stack struct {
	page                      *httptest.Server
	details, reviews, ratings *recorder
}

func start(t *testing.T, o Options, detailsH, reviewsH http.Handler, reviewsOpts reviews.Options) *stack {
	t.Helper()
	serve := func(h http.Handler) (*recorder, string) {
		r := &recorder{h: h}
		s := httptest.NewServer(r)
		t.Cleanup(s.Close)
		return r, s.URL
	}
	rh, err := ratings.NewHandler(ratings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := &stack{}
	var ratingsURL, detailsURL, reviewsURL string
	b.ratings, ratingsURL = serve(rh)
	if detailsH == nil {
		detailsH = details.NewHandler()
	}
	b.details, detailsURL = serve(detailsH)
	if reviewsH == nil {
		reviewsOpts.RatingsURL = ratingsURL
		reviewsH = reviews.NewHandler(reviewsOpts)
	}
	b.reviews, reviewsURL = serve(reviewsH)
	o.DetailsURL, o.ReviewsURL, o.RatingsURL = detailsURL, reviewsURL, ratingsURL
	if o.SessionKey == "" {
		o.SessionKey = DefaultSessionKey
	}
	b.page = httptest.NewServer(NewHandler(o))
	t.Cleanup(b.page.Close)
	return b
}

var reviewsV2 = reviews.Options{EnableRatings: true, StarColor: "black", PodName: "reviews-v2-5b6f8c7d9-x2x4z"}

func fetch(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func getPage(t *testing.T, c *http.Client, u string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return fetch(t, c, req)
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q:\n%s", w, body)
		}
	}
}

func TestPageShowsDetailsReviewsAndWhoServed(t *testing.T) {
	b := start(t, Options{}, nil, nil, reviewsV2)
	code, body := getPage(t, nil, b.page.URL+"/productpage", nil)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	mustContain(t, body,
		"<title>Simple Bookstore App</title>",
		"The Comedy of Errors",
		"<b>William Shakespeare's</b>", // the description is HTML, not escaped
		"Book Details", "paperback", "PublisherA", "123-1234567890",
		"Book Reviews", "An extremely entertaining play by Shakespeare.",
		`<font color="black">`,
		"Reviews served by: reviews-v2-5b6f8c7d9-x2x4z",
		"Sign in",
	)
	if full := strings.Count(body, "glyphicon-star\""); full != 9 {
		t.Errorf("%d full stars, want 9 (5 + 4)", full)
	}
	if empty := strings.Count(body, "glyphicon-star-empty"); empty != 1 {
		t.Errorf("%d empty stars, want 1", empty)
	}
}

func TestReviewsV1HasNoStarsAndV3RedOnes(t *testing.T) {
	b := start(t, Options{}, nil, nil, reviews.Options{PodName: "reviews-v1-abc"})
	_, body := getPage(t, nil, b.page.URL+"/productpage", nil)
	if strings.Contains(body, "glyphicon-star") || !strings.Contains(body, "Reviews served by: reviews-v1-abc") {
		t.Errorf("v1 page has stars or no pod:\n%s", body)
	}
	b = start(t, Options{}, nil, nil, reviews.Options{EnableRatings: true, StarColor: "red", PodName: "reviews-v3-abc"})
	_, body = getPage(t, nil, b.page.URL+"/productpage", nil)
	mustContain(t, body, `<font color="red">`, "Reviews served by: reviews-v3-abc")
}

// TestLoginSendsEndUser: after /login as jason, every backend request carries end-user: jason, as the
// routing rules of the tutorials expect; after /logout none does.
func TestLoginSendsEndUser(t *testing.T) {
	b := start(t, Options{}, nil, nil, reviewsV2)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequest(http.MethodPost, b.page.URL+"/login", strings.NewReader(url.Values{"username": {"jason"}, "passwd": {"x"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", b.page.URL+"/productpage")
	code, body := fetch(t, c, req) // follows the redirect back to the page
	if code != 200 {
		t.Fatalf("login: %d", code)
	}
	mustContain(t, body, "jason ( <a href=\"logout\">sign out</a> )")
	for name, r := range map[string]*recorder{"details": b.details, "reviews": b.reviews, "ratings": b.ratings} {
		seen := r.requests()
		if len(seen) == 0 || seen[len(seen)-1].Get("end-user") != "jason" {
			t.Errorf("%s did not get end-user: jason (%d requests)", name, len(seen))
		}
	}

	code, body = getPage(t, c, b.page.URL+"/logout", map[string]string{"Referer": b.page.URL + "/productpage"})
	if code != 200 || strings.Contains(body, "jason") {
		t.Errorf("after logout: %d, page still names jason", code)
	}
	seen := b.reviews.requests()
	if got := seen[len(seen)-1].Get("end-user"); got != "" {
		t.Errorf("after logout reviews got end-user %q", got)
	}
}

func TestForgedSessionIsIgnored(t *testing.T) {
	b := start(t, Options{}, nil, nil, reviewsV2)
	s := sessions{key: []byte("another key")}
	_, body := getPage(t, nil, b.page.URL+"/productpage", map[string]string{"Cookie": "session=" + s.sign("jason")})
	if strings.Contains(body, "jason") {
		t.Error("a cookie signed with another key logged jason in")
	}
	if got := b.reviews.requests()[0].Get("end-user"); got != "" {
		t.Errorf("reviews got end-user %q", got)
	}
}

func TestForwardsTracingHeaders(t *testing.T) {
	b := start(t, Options{}, nil, nil, reviewsV2)
	in := map[string]string{
		"x-request-id": "req-1", "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7", "x-b3-spanid": "e457b5a2e4d86bd1",
		"x-b3-sampled": "1", "b3": "80f198ee56343ba8-e457b5a2e4d86bd1-1", "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"tracestate": "congo=t61rcWkgMzE",
	}
	getPage(t, nil, b.page.URL+"/productpage", in)
	for name, r := range map[string]*recorder{"details": b.details, "reviews": b.reviews, "ratings": b.ratings} {
		got := r.requests()[0]
		for k, v := range in {
			if got.Get(k) != v {
				t.Errorf("%s got %s = %q, want %q", name, k, got.Get(k), v)
			}
		}
	}
}

func failing(code int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
}

func TestBackendsFailing(t *testing.T) {
	b := start(t, Options{}, failing(503), failing(500), reviewsV2)
	_, body := getPage(t, nil, b.page.URL+"/productpage", nil)
	mustContain(t, body,
		"Error fetching product details!", DetailsUnavailable,
		"Error fetching product reviews!", ReviewsUnavailable)
	if n := len(b.reviews.requests()); n != ReviewsTries {
		t.Errorf("reviews asked %d times, want %d", n, ReviewsTries)
	}
	if n := len(b.details.requests()); n != 1 {
		t.Errorf("details asked %d times, want 1", n)
	}
}

// TestReviewsTimeout: a reviews that never answers in time fails the page after two tries, as the
// 7 s delay tutorial shows; details still shows.
func TestReviewsTimeout(t *testing.T) {
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	// The timeout holds for details too, which must answer within it on a loaded machine.
	b := start(t, Options{Timeout: 500 * time.Millisecond}, nil, stuck, reviewsV2)
	_, body := getPage(t, nil, b.page.URL+"/productpage", nil)
	mustContain(t, body, "Book Details", "Error fetching product reviews!", ReviewsUnavailable)
	if n := len(b.reviews.requests()); n != 2 {
		t.Errorf("reviews asked %d times, want 2", n)
	}
}

func TestRatingsDownShowsItInReviews(t *testing.T) {
	// A reviews v3 whose ratings is a port nothing listens on.
	closed := httptest.NewServer(failing(200))
	closed.Close()
	rv := reviews.NewHandler(reviews.Options{EnableRatings: true, StarColor: "red", RatingsURL: closed.URL, PodName: "reviews-v3-x"})
	b := start(t, Options{}, nil, rv, reviews.Options{})
	_, body := getPage(t, nil, b.page.URL+"/productpage", nil)
	if n := strings.Count(body, reviews.RatingsUnavailable); n != 2 {
		t.Errorf("%q shown %d times, want 2:\n%s", reviews.RatingsUnavailable, n, body)
	}
}

func TestAPI(t *testing.T) {
	b := start(t, Options{}, nil, nil, reviewsV2)
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/api/v1/products", 200, `[{"id":0,"title":"The Comedy of Errors","descriptionHtml":`},
		{"/api/v1/products/0", 200, `"publisher":"PublisherA"`},
		{"/api/v1/products/0/reviews", 200, `"podname":"reviews-v2-5b6f8c7d9-x2x4z"`},
		{"/api/v1/products/0/ratings", 200, `{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}`},
		{"/api/v1/products/abc", 400, `{"error":"Sorry, product details are currently unavailable for this book."}`},
		{"/health", 200, "Product page is healthy"},
		{"/", 200, "Normal user"},
		{"/index.html", 200, "Test user"},
	} {
		code, body := getPage(t, nil, b.page.URL+tc.path, nil)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d %s, want %d with %s", tc.path, code, body, tc.code, tc.want)
		}
	}
	code, _ := getPage(t, nil, b.page.URL+"/nothing", nil)
	if code != 404 {
		t.Errorf("GET /nothing = %d, want 404", code)
	}
}

func TestFloodFactorAndMetrics(t *testing.T) {
	b := start(t, Options{FloodFactor: 3}, nil, nil, reviewsV2)
	getPage(t, nil, b.page.URL+"/productpage", nil)
	if n := len(b.reviews.requests()); n != 4 {
		t.Errorf("reviews asked %d times, want 1 + FLOOD_FACTOR 3", n)
	}
	_, metrics := getPage(t, nil, b.page.URL+"/metrics", nil)
	mustContain(t, metrics,
		"# TYPE request_result_total counter\n",
		`request_result_total{destination_app="details",response_code="200"} 1`+"\n",
		`request_result_total{destination_app="reviews",response_code="200"} 4`+"\n")
}
