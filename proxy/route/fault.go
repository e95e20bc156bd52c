package route

import (
	"net/http"
	"strconv"
	"time"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
)

// faulted applies a route's fault: a delay (each request decided on its own), then an abort; true
// when the request was answered.
func faulted(f *ir.Fault, w http.ResponseWriter, r *http.Request, info *accesslog.Info) bool {
	if f.Delay > 0 && chance(f.DelayPerMillion) {
		info.Flags |= accesslog.DelayInjected
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			info.Flags |= accesslog.DownstreamConnectionTermination
			info.Details = "downstream_remote_disconnect"
			return true
		}
	}
	if (f.AbortStatus != 0 || f.AbortGRPCStatus != 0) && chance(f.AbortPerMillion) {
		info.Flags |= accesslog.FaultInjected
		info.Details = "fault_filter_abort"
		if f.AbortGRPCStatus != 0 && isGRPC(r) {
			h := w.Header()
			h.Set("Content-Type", "application/grpc")
			h.Set("Grpc-Status", strconv.Itoa(f.AbortGRPCStatus))
			h.Set("Grpc-Message", bodyFault)
			w.WriteHeader(http.StatusOK)
			info.Status = http.StatusOK
			return true
		}
		status := f.AbortStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		localReply(w, r, info, status, 0, "fault_filter_abort", bodyFault)
		return true
	}
	return false
}
