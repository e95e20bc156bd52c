package bookinfo

import (
	"encoding/json"
	"net/http"
)

// WriteJSON answers with v as JSON and the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// ErrorBody is the JSON the services answer with when they fail: {"error": "..."}.
type ErrorBody struct {
	Error string `json:"error"`
}
