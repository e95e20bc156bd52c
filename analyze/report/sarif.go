package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/meshctl/meshctl/analyze"
)

// The SARIF 2.1.0 subset GitHub code scanning reads: rules with metadata, results with a physical
// location (file and line), and a fingerprint so that a finding keeps its identity across runs.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifText       `json:"help"`
	HelpURI              string          `json:"helpUri"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           sarifRuleProps  `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func sarifLevel(l analyze.Level) string {
	switch l {
	case analyze.Error:
		return "error"
	case analyze.Warning:
		return "warning"
	}
	return "note"
}

func writeSARIF(w io.Writer, r Report) error {
	codes := analyze.Codes()
	index := map[string]int{}
	rules := make([]sarifRule, len(codes))
	for i, c := range codes {
		index[c.ID] = i
		rules[i] = sarifRule{
			ID: c.ID, Name: c.Name,
			ShortDescription:     sarifText{c.Name},
			FullDescription:      sarifText{c.Description},
			Help:                 sarifText{c.Fix},
			HelpURI:              c.DocURL(),
			DefaultConfiguration: sarifRuleConfig{sarifLevel(c.Level)},
			Properties:           sarifRuleProps{Tags: []string{"istio", "service-mesh", "configuration"}},
		}
	}
	results := make([]sarifResult, 0, len(r.Findings))
	for _, f := range r.Findings {
		loc := sarifLocation{LogicalLocations: []sarifLogical{{f.Resource.String(), "resource"}}}
		if f.Origin.File != "" && f.Origin.File != "-" {
			phys := &sarifPhysical{ArtifactLocation: artifact(f.Origin.File)}
			if f.Origin.Line > 0 {
				phys.Region = &sarifRegion{StartLine: f.Origin.Line}
			}
			loc.PhysicalLocation = phys
		}
		sum := sha256.Sum256([]byte(f.Code + "\x00" + f.Resource.String() + "\x00" + f.Field + "\x00" + f.Message))
		results = append(results, sarifResult{
			RuleID: f.Code, RuleIndex: index[f.Code], Level: sarifLevel(f.Level),
			Message:             sarifText{fmt.Sprintf("%s (%s)", f.Message, f.Resource.Display())},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{"meshctlFinding/v1": hex.EncodeToString(sum[:16])},
		})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "meshctl", InformationURI: "https://github.com/meshctl/meshctl", Version: r.Tool, Rules: rules}},
			Results: results,
		}},
	}
	b, err := json.MarshalIndent(log, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sarif: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// artifact makes a file path a SARIF URI: relative paths resolve against the checkout (%SRCROOT%).
func artifact(path string) sarifArtifact {
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		return sarifArtifact{URI: "file://" + p}
	}
	return sarifArtifact{URI: strings.TrimPrefix(p, "./"), URIBaseID: "%SRCROOT%"}
}
