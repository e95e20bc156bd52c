// Package precheck tells whether a cluster is ready for meshctl install: a table of named checks, each
// ending ok, warning or error with a one-line reason and a link to its documentation (docs/precheck.md).
// Every check runs even when an earlier one failed, so one run shows everything to fix.
package precheck

import (
	"context"
	"fmt"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// Status is the outcome of a check.
type Status string

// Outcomes, from best to worst.
const (
	OK      Status = "ok"
	Warning Status = "warning"
	Error   Status = "error"
)

// DocBase is where docs/precheck.md is published; each check's anchor is its name.
const DocBase = "https://github.com/meshctl/meshctl/blob/main/docs/precheck.md#"

// Input is what the checks look at: the cluster, and the install that is planned.
type Input struct {
	Clients  *installer.Clients
	Manifest *render.Manifest
	Operator *profiles.IstioOperator
}

func (in *Input) namespace() string {
	if in.Operator != nil && in.Operator.Spec.Namespace != "" {
		return in.Operator.Spec.Namespace
	}
	return installer.DefaultNamespace
}

func (in *Input) revision() string {
	if in.Operator != nil && in.Operator.Spec.Revision != "" {
		return in.Operator.Spec.Revision
	}
	return "default"
}

// Check is one named check.
type Check struct {
	// Name is the check's identifier in JSON output and its documentation anchor.
	Name string
	// Description says what passing means.
	Description string
	Run         func(ctx context.Context, in *Input) (Status, string)
}

// Result is the outcome of one check.
type Result struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      Status `json:"status"`
	Reason      string `json:"reason"`
	Doc         string `json:"doc"`
}

// Checks run in this order.
var Checks = []Check{
	{Name: "kubernetes-version", Description: "Kubernetes version is supported", Run: checkVersion},
	{Name: "permissions", Description: "Permissions for everything install creates", Run: checkPermissions},
	{Name: "existing-install", Description: "No install of another tool", Run: checkExisting},
	{Name: "webhooks", Description: "No conflicting sidecar injector", Run: checkWebhooks},
	{Name: "crd-versions", Description: "Istio CRDs on the cluster are compatible", Run: checkCRDs},
	{Name: "pod-security", Description: "Pod Security admits injected pods", Run: checkPodSecurity},
	{Name: "dry-run", Description: "The API server accepts the manifest", Run: checkDryRun},
}

// Run runs every check and returns their results in order.
func Run(ctx context.Context, in Input) []Result {
	out := make([]Result, 0, len(Checks))
	for _, c := range Checks {
		st, reason := c.Run(ctx, &in)
		out = append(out, Result{Name: c.Name, Description: c.Description, Status: st, Reason: reason, Doc: DocBase + c.Name})
	}
	return out
}

// Summary counts results by status.
type Summary struct {
	OK       int `json:"ok"`
	Warnings int `json:"warnings"`
	Errors   int `json:"errors"`
}

// Summarize counts the results.
func Summarize(results []Result) Summary {
	var s Summary
	for _, r := range results {
		switch r.Status {
		case OK:
			s.OK++
		case Warning:
			s.Warnings++
		default:
			s.Errors++
		}
	}
	return s
}

// couldNot is the result of a check whose question the cluster did not answer.
func couldNot(what string, err error) (Status, string) {
	return Error, fmt.Sprintf("could not %s: %v", what, err)
}
