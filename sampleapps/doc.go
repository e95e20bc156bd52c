// Package sampleapps holds Go versions of the sample applications Istio's tutorials deploy (bookinfo,
// helloworld, httpbin, a curl client, an nginx-like static server), one package per application, all run
// by the one binary cmd/mesh-samples. This package holds what they share with the image pipeline: the
// table of images and the process an application runs in.
//
// The upstream sample YAML is never edited: a local cluster maps the upstream image names to ours with a
// kustomize image override (package localize).
package sampleapps
