package meshapi_test

import (
	"testing"

	"github.com/meshctl/meshctl/meshapi"
)

func TestProtocolOf(t *testing.T) {
	for _, tc := range []struct {
		port meshapi.ServicePort
		want meshapi.Protocol
	}{
		{meshapi.ServicePort{Name: "http"}, "http"},
		{meshapi.ServicePort{Name: "HTTP-web"}, "http"},
		{meshapi.ServicePort{Name: "http2"}, "http2"},
		{meshapi.ServicePort{Name: "httpx"}, ""},
		{meshapi.ServicePort{Name: "grpc-web"}, "grpc-web"},
		{meshapi.ServicePort{Name: "grpc-web-api"}, "grpc-web"},
		{meshapi.ServicePort{Name: "grpc-api"}, "grpc"},
		{meshapi.ServicePort{Name: "tcp-db"}, "tcp"},
		{meshapi.ServicePort{Name: "web"}, ""},
		{meshapi.ServicePort{Name: "web", AppProtocol: "HTTP"}, "http"},
		{meshapi.ServicePort{Name: "tcp", AppProtocol: "grpc"}, "grpc"},
		{meshapi.ServicePort{Name: "dns", Protocol: "UDP"}, "udp"},
		{meshapi.ServicePort{Name: "", Protocol: "TCP"}, ""},
	} {
		if got := meshapi.ProtocolOf(tc.port); got != tc.want {
			t.Errorf("ProtocolOf(%+v) = %q, want %q", tc.port, got, tc.want)
		}
	}
}
