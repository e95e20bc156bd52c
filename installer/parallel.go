package installer

import (
	"context"
	"errors"
	"sync"
)

// concurrency bounds parallel API calls; the client's rate limiter (QPS 100, burst 200 in meshctl) does the
// rest.
const concurrency = 16

// parallel runs fn(0..n-1) with bounded concurrency and joins the errors; it stops starting new calls once
// ctx is done.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	sem := make(chan struct{}, concurrency)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := 0; i < n; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return errors.Join(append(errs, ctx.Err())...)
		case sem <- struct{}{}:
		}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	return errors.Join(errs...)
}
