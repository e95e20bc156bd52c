package validation

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

// decodeScalar decodes a scalar, an enum or a well-known message type; newValue gives an empty value of
// the field's type for messages.
func decodeScalar(fd protoreflect.FieldDescriptor, newValue func() protoreflect.Value, v any, path string, errs *FieldErrors) (protoreflect.Value, bool) {
	fail := func(format string, args ...any) (protoreflect.Value, bool) {
		*errs = append(*errs, schemaError(path, format, args...))
		return protoreflect.Value{}, false
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if b, ok := v.(bool); ok {
			return protoreflect.ValueOfBool(b), true
		}
		return fail("want true or false, got %s", Describe(v))
	case protoreflect.StringKind:
		if s, ok := v.(string); ok {
			return protoreflect.ValueOfString(s), true
		}
		return fail("want a string, got %s", Describe(v))
	case protoreflect.BytesKind:
		s, ok := v.(string)
		if !ok {
			return fail("want a base64 string, got %s", Describe(v))
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return fail("invalid base64: %v", err)
		}
		return protoreflect.ValueOfBytes(b), true
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := toInt(v, math.MinInt32, math.MaxInt32)
		if err != nil {
			return fail("%v", err)
		}
		return protoreflect.ValueOfInt32(int32(n)), true
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := toInt(v, math.MinInt64, math.MaxInt64)
		if err != nil {
			return fail("%v", err)
		}
		return protoreflect.ValueOfInt64(n), true
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := toInt(v, 0, math.MaxUint32)
		if err != nil {
			return fail("%v", err)
		}
		return protoreflect.ValueOfUint32(uint32(n)), true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := toInt(v, 0, math.MaxInt64)
		if err != nil {
			return fail("%v", err)
		}
		return protoreflect.ValueOfUint64(uint64(n)), true
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f, err := toFloat(v)
		if err != nil {
			return fail("%v", err)
		}
		if fd.Kind() == protoreflect.FloatKind {
			return protoreflect.ValueOfFloat32(float32(f)), true
		}
		return protoreflect.ValueOfFloat64(f), true
	case protoreflect.EnumKind:
		ed := fd.Enum()
		if x, ok := v.(string); ok {
			if ev := ed.Values().ByName(protoreflect.Name(x)); ev != nil {
				return protoreflect.ValueOfEnum(ev.Number()), true
			}
			return fail("unknown value %q: want one of %s", x, enumNames(ed))
		}
		if n, ok := wholeNumber(v); ok {
			if ev := ed.Values().ByNumber(protoreflect.EnumNumber(n)); ev != nil && n == int64(ev.Number()) {
				return protoreflect.ValueOfEnum(ev.Number()), true
			}
			return fail("unknown value %d: want one of %s", n, enumNames(ed))
		}
		return fail("want one of %s, got %s", enumNames(ed), Describe(v))
	case protoreflect.MessageKind:
		return decodeWellKnown(fd.Message(), newValue, v, fail)
	}
	return fail("unsupported field type %s", fd.Kind())
}

func decodeWellKnown(md protoreflect.MessageDescriptor, newValue func() protoreflect.Value, v any, fail func(string, ...any) (protoreflect.Value, bool)) (protoreflect.Value, bool) {
	msg := newValue().Message()
	switch name := md.Name(); name {
	case "Duration":
		s, ok := v.(string)
		if !ok {
			return fail("want a duration such as \"1.5s\" or \"1m\", got %s", Describe(v))
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fail("invalid duration %q", s)
		}
		msg.Set(md.Fields().ByNumber(1), protoreflect.ValueOfInt64(int64(d/time.Second)))
		msg.Set(md.Fields().ByNumber(2), protoreflect.ValueOfInt32(int32(d%time.Second)))
	case "Timestamp":
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fail("want an RFC 3339 time, got %s", Describe(v))
		}
		msg.Set(md.Fields().ByNumber(1), protoreflect.ValueOfInt64(t.Unix()))
		msg.Set(md.Fields().ByNumber(2), protoreflect.ValueOfInt32(int32(t.Nanosecond())))
	case "BoolValue", "StringValue", "BytesValue", "Int32Value", "Int64Value", "UInt32Value", "UInt64Value", "FloatValue", "DoubleValue":
		fd := md.Fields().ByNumber(1)
		var errs FieldErrors
		pv, ok := decodeScalar(fd, nil, v, "", &errs)
		if !ok {
			return fail("%s", errs[0].Message)
		}
		msg.Set(fd, pv)
	case "Struct", "Value", "ListValue":
		var src interface{ ProtoReflect() protoreflect.Message }
		var err error
		switch name {
		case "Struct":
			m, ok := v.(map[string]any)
			if !ok {
				return fail("want an object, got %s", Describe(v))
			}
			src, err = structpb.NewStruct(m)
		case "Value":
			src, err = structpb.NewValue(v)
		default:
			l, ok := v.([]any)
			if !ok {
				return fail("want a list, got %s", Describe(v))
			}
			src, err = structpb.NewList(l)
		}
		if err != nil {
			return fail("%v", err)
		}
		return protoreflect.ValueOfMessage(src.ProtoReflect()), true
	default:
		// Any and other rarely used types: accepted without decoding.
	}
	return protoreflect.ValueOfMessage(msg), true
}

// wholeNumber returns v as an integer when it is a number without a fraction.
func wholeNumber(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x), true
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil {
			return wholeNumber(f)
		}
	}
	return 0, false
}

func toInt(v any, lo, hi int64) (int64, error) {
	n, ok := wholeNumber(v)
	if !ok {
		switch x := v.(type) {
		case float64:
			return 0, fmt.Errorf("want an integer, got %v", x)
		case json.Number:
			return 0, fmt.Errorf("want an integer, got %s", x)
		case string:
			var err error
			if n, err = strconv.ParseInt(x, 10, 64); err != nil {
				return 0, fmt.Errorf("want an integer, got %q", x)
			}
		default:
			return 0, fmt.Errorf("want an integer, got %s", Describe(v))
		}
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range [%d, %d]", n, lo, hi)
	}
	return n, nil
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, fmt.Errorf("want a number, got %s", x)
		}
		return f, nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, fmt.Errorf("want a number, got %q", x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("want a number, got %s", Describe(v))
}

func enumNames(ed protoreflect.EnumDescriptor) string {
	var names []string
	for i := 0; i < ed.Values().Len(); i++ {
		names = append(names, string(ed.Values().Get(i).Name()))
	}
	return strings.Join(names, ", ")
}

// Describe names a JSON-shaped value's type and value for messages: the string "x", the number 5, a list.
func Describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case int64, int, float64, json.Number:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
