package installer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/meshctl/meshctl/installer/render"
)

// Verification outcomes of one object.
const (
	VerifyOK       = "ok"
	VerifyMissing  = "missing"
	VerifyDrifted  = "drifted"
	VerifyNotReady = "not-ready"
)

// VerifyOptions say what to verify.
type VerifyOptions struct {
	Clients  *Clients
	Manifest *render.Manifest
}

// ObjectStatus is the verification of one object.
type ObjectStatus struct {
	Object    string `json:"object"`
	Component string `json:"component,omitempty"`
	Status    string `json:"status"`
	Detail    string `json:"detail,omitempty"`
}

// VerifyReport is the verification of a whole manifest.
type VerifyReport struct {
	Objects  []ObjectStatus `json:"objects"`
	OK       int            `json:"ok"`
	Missing  int            `json:"missing"`
	Drifted  int            `json:"drifted"`
	NotReady int            `json:"notReady"`
}

// Healthy reports whether every object is present, as configured and ready.
func (r *VerifyReport) Healthy() bool { return r.Missing+r.Drifted+r.NotReady == 0 }

// Verify compares the manifest with the live cluster: each object is missing, drifted (a server-side apply
// dry run would change it: someone edited a field meshctl sets), not ready (workloads, webhooks' endpoints,
// CRDs) or ok.
func Verify(ctx context.Context, o VerifyOptions) (*VerifyReport, error) {
	if o.Clients == nil || o.Manifest == nil {
		return nil, errors.New("verify: Clients and Manifest are required")
	}
	c := o.Clients
	if _, err := c.ServerVersion(ctx); err != nil {
		return nil, err
	}
	objs, err := parseObjects(o.Manifest.Objects())
	if err != nil {
		return nil, err
	}
	live, err := c.fetchLive(ctx, objs)
	if err != nil {
		return nil, err
	}
	keepSharedOwner(objs, live)
	titles := componentTitles(o.Manifest)
	statuses := make([]ObjectStatus, len(objs))
	err = parallel(ctx, len(objs), func(i int) error {
		obj := objs[i]
		st := ObjectStatus{Object: obj.Key(), Component: titles[obj.Component], Status: VerifyOK}
		l := live[obj.key()]
		if l == nil {
			st.Status, st.Detail = VerifyMissing, "not found on the cluster"
			statuses[i] = st
			return nil
		}
		desired, err := c.desired(ctx, obj, l)
		if err != nil {
			return err
		}
		if before, after := normalized(l), normalized(desired); !reflect.DeepEqual(before, after) {
			st.Status = VerifyDrifted
			st.Detail = "differs from the configuration at " + strings.Join(changedPaths(before, after, 5), ", ")
			statuses[i] = st
			return nil
		}
		if needsWait(obj.Kind) {
			r := readyCheck{Kind: obj.Kind, Namespace: obj.Namespace, Name: obj.Name}
			ok, why, err := c.isReady(ctx, r)
			if err != nil {
				return fmt.Errorf("check readiness of %s: %w", obj.Key(), err)
			}
			if !ok {
				st.Status = VerifyNotReady
				st.Detail = c.diagnose(ctx, r, why).String()
				st.Detail = strings.TrimPrefix(st.Detail, obj.Key()+": ")
			}
		}
		statuses[i] = st
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Objects: statuses}
	for _, s := range statuses {
		switch s.Status {
		case VerifyOK:
			rep.OK++
		case VerifyMissing:
			rep.Missing++
		case VerifyDrifted:
			rep.Drifted++
		case VerifyNotReady:
			rep.NotReady++
		}
	}
	return rep, nil
}
