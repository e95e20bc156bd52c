package translate

import (
	"math"
	"strconv"
	"strings"

	faultcommonv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/meshapi"
)

type anyMsg = anypb.Any

// mustAny packs a message; Envoy's generated messages always marshal.
func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err)
	}
	return a
}

// millionths is a percentage (0-100, fractional) as Envoy's FractionalPercent of a million.
func millionths(pct float64) *typev3.FractionalPercent {
	pct = math.Max(0, math.Min(100, pct))
	return &typev3.FractionalPercent{Numerator: uint32(math.Round(pct * 10_000)), Denominator: typev3.FractionalPercent_MILLION}
}

// faultConfig is a rule's fault injection (nil when it asks for nothing the proxy does). An abort
// by http2Error is dropped, as Istio does (Envoy has no such abort).
func faultConfig(f *networking.HTTPFaultInjection) *faultv3.HTTPFault {
	out := &faultv3.HTTPFault{}
	if d := f.GetDelay(); d != nil && d.GetFixedDelay() != nil {
		//lint:ignore SA1019 the deprecated integer percent still counts when percentage is absent
		legacy := float64(d.GetPercent())
		out.Delay = &faultcommonv3.FaultDelay{
			FaultDelaySecifier: &faultcommonv3.FaultDelay_FixedDelay{FixedDelay: durationpb.New(d.GetFixedDelay().AsDuration())},
			Percentage:         faultPercent(d.GetPercentage(), legacy),
		}
	}
	if a := f.GetAbort(); a != nil {
		abort := &faultv3.FaultAbort{Percentage: faultPercent(a.GetPercentage(), -1)}
		if a.GetHttpStatus() != 0 {
			abort.ErrorType = &faultv3.FaultAbort_HttpStatus{HttpStatus: uint32(a.GetHttpStatus())}
		} else if code, ok := meshapi.GRPCStatusCode(a.GetGrpcStatus()); ok && a.GetGrpcStatus() != "" {
			abort.ErrorType = &faultv3.FaultAbort_GrpcStatus{GrpcStatus: code}
		}
		if abort.ErrorType != nil {
			out.Abort = abort
		}
	}
	if out.Delay == nil && out.Abort == nil {
		return nil
	}
	return out
}

// faultPercent: Istio's percentage, else the deprecated integer percent, else all requests.
func faultPercent(p *networking.Percent, legacy float64) *typev3.FractionalPercent {
	switch {
	case p != nil:
		return millionths(p.GetValue())
	case legacy > 0:
		return millionths(legacy)
	}
	return millionths(100)
}

func corsPolicy(c *networking.CorsPolicy) *corsv3.CorsPolicy {
	out := &corsv3.CorsPolicy{
		AllowMethods:  strings.Join(c.GetAllowMethods(), ","),
		AllowHeaders:  strings.Join(c.GetAllowHeaders(), ","),
		ExposeHeaders: strings.Join(c.GetExposeHeaders(), ","),
	}
	for _, o := range c.GetAllowOrigins() {
		out.AllowOriginStringMatch = append(out.AllowOriginStringMatch, stringMatch(o))
	}
	//lint:ignore SA1019 the deprecated exact origins still count
	for _, o := range c.GetAllowOrigin() {
		out.AllowOriginStringMatch = append(out.AllowOriginStringMatch, stringMatch(&networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: o}}))
	}
	if d := c.GetMaxAge(); d != nil {
		out.MaxAge = strconv.FormatInt(int64(d.AsDuration().Seconds()), 10)
	}
	if b := c.GetAllowCredentials(); b != nil {
		out.AllowCredentials = wrapperspb.Bool(b.GetValue())
	}
	return out
}
