package productpage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// sessionCookie holds the logged-in user, signed so that a client cannot forge one without the key.
// The name is Flask's, as upstream's productpage uses Flask's session.
const sessionCookie = "session"

// DefaultSessionKey signs sessions when PRODUCTPAGE_SESSION_KEY is not set. It is in the source, as
// upstream's is: every replica must accept the others' cookies, and this is a demo, not a login.
const DefaultSessionKey = "meshctl bookinfo sample: not a secret"

type sessions struct{ key []byte }

func (s sessions) sign(user string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(user))
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(user)) + "." + enc.EncodeToString(m.Sum(nil))
}

// user returns the logged-in user of r, "" when there is none or the cookie is not ours.
func (s sessions) user(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	payload, sig, ok := strings.Cut(c.Value, ".")
	if !ok {
		return ""
	}
	enc := base64.RawURLEncoding
	user, err1 := enc.DecodeString(payload)
	got, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return ""
	}
	m := hmac.New(sha256.New, s.key)
	m.Write(user)
	if !hmac.Equal(got, m.Sum(nil)) {
		return ""
	}
	return string(user)
}

func (s sessions) login(w http.ResponseWriter, user string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.sign(user), Path: "/", HttpOnly: true})
}

func (s sessions) logout(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
}
