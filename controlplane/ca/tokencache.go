package ca

import (
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// Defaults of a TokenCache: Istio's proxies ask for a certificate about once per 12 hours each, but a
// rollout of many pods with one token each, or a proxy retrying, asks the API server again and again.
const (
	DefaultTokenCacheTTL  = 5 * time.Minute
	DefaultTokenCacheSize = 10000
)

// TokenCache remembers successful token reviews, so a token seen again within its life does not cost a
// TokenReview. Keys are SHA-256 of audience and token: the token itself is never kept. An entry lives until
// the earlier of the token's "exp" claim and MaxTTL; the claim is read without verifying the signature,
// which is safe because it can only shorten an entry the API server has already accepted (TokenReview's
// status carries no expiry). Failures are not cached: a wrong token must not stick, and a failing API
// server must be asked again. The cost: a token revoked (its pod deleted) is still accepted for at most
// MaxTTL. Expiry is lazy, on lookup; when full, the oldest entry goes. Safe for concurrent use.
type TokenCache struct {
	maxTTL  time.Duration
	size    int
	metrics *Metrics
	now     func() time.Time

	mu      sync.Mutex
	entries map[tokenKey]*list.Element // of *tokenEntry
	order   *list.List                 // oldest first
}

type tokenKey [sha256.Size]byte

type tokenEntry struct {
	key     tokenKey
	caller  Caller
	expires time.Time
}

// NewTokenCache is a cache of at most size reviews (<= 0: DefaultTokenCacheSize), each kept at most maxTTL
// (<= 0: DefaultTokenCacheTTL). m counts hits and misses (nil: not counted).
func NewTokenCache(maxTTL time.Duration, size int, m *Metrics) *TokenCache {
	if maxTTL <= 0 {
		maxTTL = DefaultTokenCacheTTL
	}
	if size <= 0 {
		size = DefaultTokenCacheSize
	}
	return &TokenCache{maxTTL: maxTTL, size: size, metrics: m, now: time.Now,
		entries: make(map[tokenKey]*list.Element), order: list.New()}
}

// keyOf is the cache key of a token for an audience; the audience's length first so that no two
// (audience, token) pairs share their bytes.
func keyOf(audience, token string) tokenKey {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(audience)))
	h.Write(n[:])
	h.Write([]byte(audience))
	h.Write([]byte(token))
	var k tokenKey
	h.Sum(k[:0])
	return k
}

// get is the caller of a cached review of key, if one is cached and not expired.
func (c *TokenCache) get(key tokenKey) (Caller, bool) {
	now := c.now()
	c.mu.Lock()
	el, ok := c.entries[key]
	if ok && !now.Before(el.Value.(*tokenEntry).expires) {
		c.remove(el)
		ok = false
	}
	var caller Caller
	if ok {
		caller = el.Value.(*tokenEntry).caller
	}
	c.mu.Unlock()
	if c.metrics != nil {
		if ok {
			c.metrics.TokenCacheHits.Inc()
		} else {
			c.metrics.TokenCacheMisses.Inc()
		}
	}
	return caller, ok
}

// put caches a successful review of token under key, until the token's expiry or maxTTL.
func (c *TokenCache) put(key tokenKey, token string, caller Caller) {
	now := c.now()
	expires := now.Add(c.maxTTL)
	if exp, ok := tokenExpiry(token); ok && exp.Before(expires) {
		expires = exp
	}
	if !now.Before(expires) {
		return // expired by its own claim: the API server's clock is ahead of ours; nothing to keep
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.remove(el) // two concurrent misses of one token: keep the later, as the newest
	}
	for c.order.Len() >= c.size {
		c.remove(c.order.Front())
	}
	c.entries[key] = c.order.PushBack(&tokenEntry{key: key, caller: caller, expires: expires})
}

// remove drops el; c.mu is held.
func (c *TokenCache) remove(el *list.Element) {
	delete(c.entries, el.Value.(*tokenEntry).key)
	c.order.Remove(el)
}

// Len is the number of entries, expired ones not yet looked up included.
func (c *TokenCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// tokenExpiry is the "exp" claim of a JWT, unverified: only ever used to shorten a cache entry.
func tokenExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	exp, err := claims.Exp.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}
