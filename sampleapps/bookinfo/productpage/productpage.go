// Package productpage is bookinfo's front end on port 9080: /productpage shows the book with its details
// and reviews, fetched from the details and reviews services, and which reviews pod answered. /login
// keeps the user name in a session cookie; productpage sends it to its backends as the end-user header,
// on which the tutorials' routing rules match.
package productpage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/bookinfo"
	"github.com/meshctl/meshctl/sampleapps/internal/serve"
)

// Options configure the service; FromEnv reads them as upstream does.
type Options struct {
	DetailsURL, ReviewsURL, RatingsURL string        // base URLs: http://details:9080
	FloodFactor                        int           // FLOOD_FACTOR: extra reviews requests per page
	Timeout                            time.Duration // for one backend answer; BackendTimeout when 0
	SessionKey                         string        // signs the session cookie
	Client                             *http.Client
	Log                                *slog.Logger
}

// FromEnv reads the backends' addresses (DETAILS_HOSTNAME, SERVICES_DOMAIN, ...), FLOOD_FACTOR and
// PRODUCTPAGE_SESSION_KEY.
func FromEnv(p sampleapps.Process) (Options, error) {
	o := Options{
		DetailsURL: bookinfo.ServiceURL(p, "DETAILS", "details"),
		ReviewsURL: bookinfo.ServiceURL(p, "REVIEWS", "reviews"),
		RatingsURL: bookinfo.ServiceURL(p, "RATINGS", "ratings"),
		SessionKey: p.Env("PRODUCTPAGE_SESSION_KEY", DefaultSessionKey),
	}
	if v := p.Env("FLOOD_FACTOR", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return o, fmt.Errorf("FLOOD_FACTOR=%q: want a count of requests", v)
		}
		o.FloodFactor = n
	}
	return o, nil
}

type service struct {
	Options
	log      *slog.Logger
	client   *http.Client
	sessions sessions
	results  results
}

// NewHandler serves the page, the login, the JSON API and /metrics.
func NewHandler(o Options) http.Handler {
	s := &service{Options: o, log: o.Log, client: o.Client, sessions: sessions{key: []byte(o.SessionKey)}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.Timeout == 0 {
		s.Timeout = BackendTimeout
	}
	if s.client == nil {
		// A new connection per request, as upstream: without pooling, consecutive requests spread over
		// the backends' pods even where nothing balances requests.
		s.client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /index.html", s.index)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Product page is healthy")
	})
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /logout", s.logout)
	mux.HandleFunc("GET /productpage", s.productPage)
	mux.HandleFunc("GET /api/v1/products", s.products)
	mux.HandleFunc("GET /api/v1/products/{id}", s.api(s.details))
	mux.HandleFunc("GET /api/v1/products/{id}/reviews", s.api(s.reviews))
	mux.HandleFunc("GET /api/v1/products/{id}/ratings", s.api(s.ratings))
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = s.results.write(w)
	})
	return mux
}

// forward is the headers productpage sends its backends: the incoming tracing and session headers,
// and end-user, the session's user. Without a session, an end-user header of the request is kept.
func (s *service) forward(r *http.Request) http.Header {
	h := http.Header{}
	bookinfo.Forward(h, r.Header)
	if user := s.sessions.user(r); user != "" {
		h.Set("end-user", user)
	}
	return h
}

// back redirects to the page the form was on, as upstream's redirect(request.referrer).
func back(w http.ResponseWriter, r *http.Request) {
	to := r.Referer()
	if to == "" {
		to = "productpage"
	}
	http.Redirect(w, r, to, http.StatusFound)
}

func (s *service) login(w http.ResponseWriter, r *http.Request) {
	if user := r.FormValue("username"); user != "" {
		s.sessions.login(w, user)
	}
	back(w, r)
}

func (s *service) logout(w http.ResponseWriter, r *http.Request) {
	s.sessions.logout(w)
	back(w, r)
}

// Product is one book of the store; there is one, as upstream.
type Product struct {
	ID              int    `json:"id"`
	Title           string `json:"title"`
	DescriptionHTML string `json:"descriptionHtml"`
}

var products = []Product{{
	ID:    0,
	Title: "The Comedy of Errors",
	DescriptionHTML: `<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: ` +
		`The Comedy of Errors is one of <b>William Shakespeare's</b> early plays. It is his shortest and one ` +
		`of his most farcical comedies, with a major part of the humour coming from slapstick and mistaken ` +
		`identity, in addition to puns and word play.`,
}}

func (s *service) products(w http.ResponseWriter, r *http.Request) {
	bookinfo.WriteJSON(w, http.StatusOK, products)
}

// api answers /api/v1/products/<id>[/reviews|/ratings] with what the backend said.
func (s *service) api(get func(context.Context, string, http.Header) answer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := get(r.Context(), r.PathValue("id"), s.forward(r))
		bookinfo.WriteJSON(w, a.status, a.body)
	}
}

func (s *service) productPage(w http.ResponseWriter, r *http.Request) {
	const id = "0" // upstream shows product 0
	h := s.forward(r)
	page := productPage{User: s.sessions.user(r), Product: products[0]}
	details := s.details(r.Context(), id, h)
	if s.FloodFactor > 0 {
		s.flood(r.Context(), id, h)
	}
	reviews := s.reviews(r.Context(), id, h)
	page.setDetails(details)
	page.setReviews(reviews)
	s.render(w, "productpage.html", page)
}

func (s *service) index(w http.ResponseWriter, r *http.Request) {
	s.render(w, "index.html", indexPage{Services: []serviceRow{
		{"productpage", "details", "details, reviews"},
		{"details", s.DetailsURL + "/details", ""},
		{"reviews", s.ReviewsURL + "/reviews", "ratings"},
		{"ratings", s.RatingsURL + "/ratings", ""},
	}})
}

// decode reads a backend's answer into v; false when it does not fit.
func decode(a answer, v any) bool { return json.Unmarshal(a.body, v) == nil }

// Main runs productpage: `productpage [-port 9080]`, its backends from the environment.
func Main(ctx context.Context, p sampleapps.Process) error {
	return serve.App{
		Name: "productpage", Port: bookinfo.Port,
		Handler: func(p sampleapps.Process, log *slog.Logger) (http.Handler, error) {
			o, err := FromEnv(p)
			if err != nil {
				return nil, err
			}
			o.Log = log
			log.Info("backends", "details", o.DetailsURL, "reviews", o.ReviewsURL, "ratings", o.RatingsURL)
			return NewHandler(o), nil
		},
	}.Main(ctx, p)
}
