package meshapi

// grpcStatusCodes are gRPC's status names and codes, as a VirtualService's fault abort grpcStatus
// names them (Istio accepts exactly these).
var grpcStatusCodes = map[string]uint32{
	"OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
	"ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
	"ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14,
	"DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}

// GRPCStatusCode is the code of a gRPC status name ("UNAVAILABLE" is 14); false for a name gRPC
// does not define.
func GRPCStatusCode(name string) (uint32, bool) {
	c, ok := grpcStatusCodes[name]
	return c, ok
}
