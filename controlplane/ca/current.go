package ca

import (
	"bytes"
	"sync"
)

// Current holds the authority in service, which changes when the user plugs in a CA or rotates the root.
// Readers get it without locking; watchers learn of a change through Changed.
type Current struct {
	mu      sync.Mutex
	a       *Authority
	changed chan struct{}
}

// NewCurrent holds no authority yet.
func NewCurrent() *Current { return &Current{changed: make(chan struct{})} }

// Get is the authority in service, nil before the first one is loaded.
func (c *Current) Get() *Authority {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.a
}

// Set puts a in service and wakes the watchers, unless a signs with the same certificate and roots as the
// one in service (a Secret resynced, not changed).
func (c *Current) Set(a *Authority) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.a != nil && a != nil && c.a.cert.Equal(a.cert) && bytes.Equal(c.a.rootsPEM, a.rootsPEM) && bytes.Equal(c.a.chainPEM, a.chainPEM) {
		return
	}
	c.a = a
	close(c.changed)
	c.changed = make(chan struct{})
}

// Changed is closed at the next Set that changes the authority.
func (c *Current) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}
