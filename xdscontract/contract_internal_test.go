package xdscontract

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestContractIsTheDocument: the fields the proxy accepts are exactly the rows of docs/xds.md, in
// both directions, and each named field exists in Envoy's schema.
func TestContractIsTheDocument(t *testing.T) {
	b, err := os.ReadFile("../docs/xds.md")
	if err != nil {
		t.Skipf("docs/xds.md is not in this tree yet (meshd's branch writes it): %v", err)
	}
	doc := parseContract(string(b))
	if len(doc) < 30 {
		t.Fatalf("parsed only %d messages from docs/xds.md: the parser is not reading the tables", len(doc))
	}
	for msg, fields := range doc {
		got, ok := contract[msg]
		if !ok {
			t.Errorf("docs/xds.md lists %s; the proxy does not accept it", msg)
			continue
		}
		if want, have := strings.Join(sorted(fields), ","), strings.Join(sorted(got), ","); want != have {
			t.Errorf("%s: docs/xds.md lists [%s], the proxy accepts [%s]", msg, want, have)
		}
	}
	for msg := range contract {
		if _, ok := doc[msg]; !ok && !implied[msg] {
			t.Errorf("the proxy accepts %s, which docs/xds.md does not list", msg)
		}
	}
}

// implied messages are the empty ones the document names inside a row rather than with a table.
var implied = map[protoreflect.FullName]bool{
	"envoy.config.core.v3.Http1ProtocolOptions": true, "envoy.config.core.v3.Http2ProtocolOptions": true,
	"envoy.config.core.v3.AggregatedConfigSource": true,
}

func TestContractNamesRealFields(t *testing.T) {
	for msg, fields := range contract {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(msg)
		if err != nil {
			t.Errorf("%s: not a registered message: %v", msg, err)
			continue
		}
		md := d.(protoreflect.MessageDescriptor)
		for _, f := range fields {
			if md.Fields().ByName(f) == nil {
				t.Errorf("%s has no field %s", msg, f)
			}
		}
	}
}

func parseContract(s string) map[protoreflect.FullName][]protoreflect.Name {
	heading := regexp.MustCompile("^### `([\\w.]+)`")
	row := regexp.MustCompile("^\\| `(\\w+)` \\|")
	out := map[protoreflect.FullName][]protoreflect.Name{}
	var cur protoreflect.FullName
	for _, line := range strings.Split(s, "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			cur = protoreflect.FullName(m[1])
			out[cur] = []protoreflect.Name{}
			continue
		}
		if strings.HasPrefix(line, "## ") {
			cur = ""
		}
		if m := row.FindStringSubmatch(line); m != nil && cur != "" {
			out[cur] = append(out[cur], protoreflect.Name(m[1]))
		}
	}
	return out
}

func sorted(names []protoreflect.Name) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	sort.Strings(out)
	return out
}
