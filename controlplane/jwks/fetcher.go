// Package jwks fetches the JSON Web Key Sets that RequestAuthentications name by jwksUri, so that
// meshd sends them inline (as istiod does): proxies never reach out to identity providers.
package jwks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Defaults, as istiod's: a key set is fetched again every 20 minutes; one that failed, every minute.
const (
	DefaultRefresh = 20 * time.Minute
	DefaultRetry   = time.Minute
	DefaultTimeout = 5 * time.Second
	maxBody        = 1 << 20
)

// Fetcher keeps the key sets of the URIs URIs names fresh and hands each new one to Set.
type Fetcher struct {
	// URIs are the jwksUris to keep (model.Snapshot.JWKSURIs of the latest snapshot).
	URIs func() []string
	// Set receives a key set fetched, when it changed (model.Store.SetJWKS).
	Set func(uri, keys string)
	// Client fetches; nil: a client with DefaultTimeout.
	Client *http.Client
	// Refresh and Retry: 0 takes the defaults.
	Refresh, Retry time.Duration
	Log            *slog.Logger

	mu    sync.Mutex
	state map[string]*entry
	kick  chan struct{}
	once  sync.Once
}

type entry struct {
	keys    string
	next    time.Time // when to fetch again
	lastErr error
}

func (f *Fetcher) init() {
	f.once.Do(func() {
		f.state = map[string]*entry{}
		f.kick = make(chan struct{}, 1)
		if f.Client == nil {
			f.Client = &http.Client{Timeout: DefaultTimeout}
		}
		if f.Refresh <= 0 {
			f.Refresh = DefaultRefresh
		}
		if f.Retry <= 0 {
			f.Retry = DefaultRetry
		}
		if f.Log == nil {
			f.Log = slog.Default()
		}
	})
}

// Kick asks for a look at the URIs now (a RequestAuthentication changed); it never blocks.
func (f *Fetcher) Kick() {
	f.init()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Run fetches what is due until ctx ends, looking every tick and at each Kick.
func (f *Fetcher) Run(ctx context.Context) error {
	f.init()
	tick := min(f.Retry, f.Refresh)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		f.Sync(ctx, time.Now())
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-f.kick:
		}
	}
}

// Sync fetches every URI that is due at now, one after the other (each bounded by the client's
// timeout), and forgets the URIs no longer named.
func (f *Fetcher) Sync(ctx context.Context, now time.Time) {
	f.init()
	uris := f.URIs()
	named := map[string]bool{}
	for _, u := range uris {
		named[u] = true
		f.mu.Lock()
		e := f.state[u]
		if e == nil {
			e = &entry{}
			f.state[u] = e
		}
		due := !now.Before(e.next)
		f.mu.Unlock()
		if !due || ctx.Err() != nil {
			continue
		}
		keys, err := f.fetch(ctx, u)
		f.mu.Lock()
		e.lastErr = err
		changed := false
		if err != nil {
			e.next = now.Add(f.Retry)
		} else {
			e.next = now.Add(f.Refresh)
			changed = keys != e.keys
			e.keys = keys
		}
		f.mu.Unlock()
		if err != nil {
			f.Log.Warn("fetching a RequestAuthentication's key set: tokens it signs are refused until it is fetched", "uri", u, "err", err)
			continue
		}
		if changed {
			f.Set(u, keys)
		}
	}
	f.mu.Lock()
	for u := range f.state {
		if !named[u] {
			delete(f.state, u)
		}
	}
	f.mu.Unlock()
}

// Errors are the URIs whose last fetch failed, with why: for meshd's debug endpoints.
func (f *Fetcher) Errors() map[string]string {
	f.init()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for u, e := range f.state {
		if e.lastErr != nil {
			out[u] = e.lastErr.Error()
		}
	}
	return out
}

func (f *Fetcher) fetch(ctx context.Context, uri string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return "", err
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxBody {
		return "", fmt.Errorf("larger than %d bytes", maxBody)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil || set.Keys == nil {
		return "", fmt.Errorf("not a JSON Web Key Set")
	}
	return string(b), nil
}
