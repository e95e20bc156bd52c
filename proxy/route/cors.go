package route

import (
	"net/http"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
)

// cors is a route's CORS policy, as Envoy's CORS filter applies it.
type cors struct{ p *ir.CORS }

func (c *cors) allowed(origin string) bool {
	for i := range c.p.AllowOrigins {
		if stringMatches(&c.p.AllowOrigins[i], origin) {
			return true
		}
	}
	return false
}

// handle answers a preflight request from an allowed origin (true), or adds the CORS headers an
// allowed origin's ordinary request gets on its response (false: the request goes on).
func (c *cors) handle(w http.ResponseWriter, r *http.Request, info *accesslog.Info) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || !c.allowed(origin) {
		return false
	}
	h := w.Header()
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		if c.p.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.p.AllowMethods != "" {
			h.Set("Access-Control-Allow-Methods", c.p.AllowMethods)
		}
		if c.p.AllowHeaders != "" {
			h.Set("Access-Control-Allow-Headers", c.p.AllowHeaders)
		}
		if c.p.MaxAge != "" {
			h.Set("Access-Control-Max-Age", c.p.MaxAge)
		}
		info.Details = "cors_response"
		writeLocal(w, info, http.StatusOK, "")
		return true
	}
	// Set before the upstream answers: the response copy keeps headers already set unless the
	// upstream sends its own.
	h.Set("Access-Control-Allow-Origin", origin)
	if c.p.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if c.p.ExposeHeaders != "" {
		h.Set("Access-Control-Expose-Headers", c.p.ExposeHeaders)
	}
	return false
}
