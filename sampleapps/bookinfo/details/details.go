// Package details is bookinfo's details service: the book's facts, GET /details/<id> on port 9080.
package details

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/bookinfo"
	"github.com/meshctl/meshctl/sampleapps/internal/serve"
)

// Book is the answer of GET /details/<id>, field for field as upstream's.
type Book struct {
	ID        int    `json:"id"`
	Author    string `json:"author"`
	Year      int    `json:"year"`
	Type      string `json:"type"`
	Pages     int    `json:"pages"`
	Publisher string `json:"publisher"`
	Language  string `json:"language"`
	ISBN10    string `json:"ISBN-10"`
	ISBN13    string `json:"ISBN-13"`
}

// book is the one book upstream's details knows; every id gets it.
func book(id int) Book {
	return Book{
		ID: id, Author: "William Shakespeare", Year: 1595, Type: "paperback", Pages: 200,
		Publisher: "PublisherA", Language: "English", ISBN10: "1234567890", ISBN13: "123-1234567890",
	}
}

// NewHandler serves /health and /details/<id>.
func NewHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		bookinfo.WriteJSON(w, http.StatusOK, map[string]string{"status": "Details is healthy"})
	})
	mux.HandleFunc("GET /details/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			bookinfo.WriteJSON(w, http.StatusBadRequest, bookinfo.ErrorBody{Error: "please provide numeric product id"})
			return
		}
		bookinfo.WriteJSON(w, http.StatusOK, book(id))
	})
	return mux
}

// Main runs the details service: `details [-port 9080]`.
func Main(ctx context.Context, p sampleapps.Process) error {
	return serve.App{
		Name: "details", Port: bookinfo.Port,
		Handler: func(p sampleapps.Process, log *slog.Logger) (http.Handler, error) {
			if p.Env("ENABLE_EXTERNAL_BOOK_SERVICE", "") == "true" {
				// Upstream would ask www.googleapis.com; the local cluster has no way out, so say so once.
				log.Warn("ENABLE_EXTERNAL_BOOK_SERVICE is not supported: serving the built-in book details")
			}
			return NewHandler(), nil
		},
	}.Main(ctx, p)
}
