package productpage

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"

	"github.com/meshctl/meshctl/sampleapps/bookinfo"
	"github.com/meshctl/meshctl/sampleapps/bookinfo/reviews"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"stars": stars,
	"deref": func(n *int) int { return *n },
	"html":  func(s string) template.HTML { return template.HTML(s) }, // the product's own description
}).ParseFS(templateFS, "templates/*.html"))

// productPage is what productpage.html shows.
type productPage struct {
	User    string
	Product Product

	DetailsOK    bool
	Details      map[string]any // the details service's JSON, shown field by field
	DetailsError string

	ReviewsOK    bool
	Reviews      reviews.Response
	ReviewsError string
}

func (p *productPage) setDetails(a answer) {
	p.DetailsOK = a.ok() && decode(a, &p.Details)
	if !p.DetailsOK {
		p.DetailsError = errorText(a, DetailsUnavailable)
	}
}

func (p *productPage) setReviews(a answer) {
	p.ReviewsOK = a.ok() && decode(a, &p.Reviews)
	if !p.ReviewsOK {
		p.ReviewsError = errorText(a, ReviewsUnavailable)
	}
}

// errorText is the error a failed answer carries, def when it carries none.
func errorText(a answer, def string) string {
	var e bookinfo.ErrorBody
	if a.ok() || !decode(a, &e) || e.Error == "" {
		return def
	}
	return e.Error
}

// star is one of the five a rating shows: full or empty.
type star struct{ Full bool }

func stars(n int) []star {
	n = min(max(n, 0), 5)
	s := make([]star, 5)
	for i := range n {
		s[i].Full = true
	}
	return s
}

type indexPage struct {
	Services []serviceRow
}

type serviceRow struct{ Name, Endpoint, Children string }

// render writes the whole page or, when the template fails, a 500: never half a page.
func (s *service) render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render", "template", name, "err", err)
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}
