package crdgen

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	// The istio.io/api packages register their descriptors in protoregistry.GlobalFiles. The v1
	// and v1beta1 networking/security/telemetry packages are aliases of these and add none.
	_ "istio.io/api/extensions/v1alpha1"
	_ "istio.io/api/networking/v1alpha3"
	_ "istio.io/api/networking/v1beta1"
	_ "istio.io/api/security/v1beta1"
	_ "istio.io/api/telemetry/v1alpha1"
)

// Result is the output of Generate.
type Result struct {
	CRDs []*apiextv1.CustomResourceDefinition
	// Cuts lists the fields (message.path) whose recursive type the schema leaves open, for review.
	Cuts []string
}

// Generate builds the CustomResourceDefinitions of kinds from the message descriptors in files
// (protoregistry.GlobalFiles holds istio.io/api's). CRDs are sorted by group, then plural.
func Generate(files *protoregistry.Files, kinds []Kind) (*Result, error) {
	res := &Result{}
	for _, k := range kinds {
		spec := preservedObject()
		if k.Spec != "" {
			d, err := files.FindDescriptorByName(k.Spec)
			if err != nil {
				return nil, fmt.Errorf("%s: spec message %s: %w", k.Kind, k.Spec, err)
			}
			md, ok := d.(protoreflect.MessageDescriptor)
			if !ok {
				return nil, fmt.Errorf("%s: %s is not a message", k.Kind, k.Spec)
			}
			b := newSchemaBuilder()
			if spec, err = b.Message(md); err != nil {
				return nil, fmt.Errorf("%s: %w", k.Kind, err)
			}
			res.Cuts = append(res.Cuts, b.Cuts...)
		}
		crd, err := definition(k, spec)
		if err != nil {
			return nil, err
		}
		res.CRDs = append(res.CRDs, crd)
	}
	slices.SortFunc(res.CRDs, func(a, b *apiextv1.CustomResourceDefinition) int {
		return cmp.Or(cmp.Compare(a.Spec.Group, b.Spec.Group), cmp.Compare(a.Spec.Names.Plural, b.Spec.Names.Plural))
	})
	return res, nil
}

func definition(k Kind, spec apiextv1.JSONSchemaProps) (*apiextv1.CustomResourceDefinition, error) {
	if !slices.Contains(k.Versions, k.Storage) {
		return nil, fmt.Errorf("%s: storage version %s is not served", k.Kind, k.Storage)
	}
	root := &apiextv1.JSONSchemaProps{
		Type: "object",
		Properties: map[string]apiextv1.JSONSchemaProps{
			"spec": spec,
			// Status is written by the control plane (IstioStatus and meshctl's own); not validated.
			"status": preservedObject(),
		},
	}
	if k.SpecRequired {
		root.Required = []string{"spec"}
	}
	var columns []apiextv1.CustomResourceColumnDefinition
	for _, c := range k.Columns {
		columns = append(columns, apiextv1.CustomResourceColumnDefinition{Name: c.Name, Type: c.Type, JSONPath: c.JSONPath})
	}
	crd := &apiextv1.CustomResourceDefinition{
		TypeMeta: metav1.TypeMeta{APIVersion: apiextv1.SchemeGroupVersion.String(), Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{
			Name: k.Plural + "." + k.Group,
			// Like Istio's: `helm uninstall` of the base chart must not delete every Istio object.
			Annotations: map[string]string{"helm.sh/resource-policy": "keep"},
		},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Group: k.Group,
			Names: apiextv1.CustomResourceDefinitionNames{
				Plural:     k.Plural,
				Singular:   strings.ToLower(k.Kind),
				Kind:       k.Kind,
				ListKind:   k.Kind + "List",
				ShortNames: k.ShortNames,
				Categories: k.Categories,
			},
			Scope: apiextv1.NamespaceScoped,
		},
	}
	for _, v := range k.Versions {
		crd.Spec.Versions = append(crd.Spec.Versions, apiextv1.CustomResourceDefinitionVersion{
			Name:                     v,
			Served:                   true,
			Storage:                  v == k.Storage,
			Schema:                   &apiextv1.CustomResourceValidation{OpenAPIV3Schema: root},
			Subresources:             &apiextv1.CustomResourceSubresources{Status: &apiextv1.CustomResourceSubresourceStatus{}},
			AdditionalPrinterColumns: columns,
		})
	}
	return crd, nil
}
