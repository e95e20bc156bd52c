package translate

import (
	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filelogv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/xdscontract"
)

// accessLogs are what every HTTP connection manager and TCP proxy logs to, as Istio sends them: a
// file access log when MeshConfig accessLogFile is set, in Istio's default text format. A custom
// accessLogFormat or JSON encoding is not in the contract yet: the default text format is sent.
func accessLogs(s *model.Snapshot) []*accesslogv3.AccessLog {
	path := s.Mesh.GetAccessLogFile()
	if path == "" {
		return nil
	}
	return s.ConfigMemo("access-log|"+path, func() any {
		f := &filelogv3.FileAccessLog{Path: path, AccessLogFormat: &filelogv3.FileAccessLog_LogFormat{LogFormat: &corev3.SubstitutionFormatString{
			Format: &corev3.SubstitutionFormatString_TextFormatSource{TextFormatSource: &corev3.DataSource{
				Specifier: &corev3.DataSource_InlineString{InlineString: meshapi.AccessLogFormat}}}}}}
		return []*accesslogv3.AccessLog{{Name: xdscontract.AccessLoggerFile, ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: mustAny(f)}}}
	}).([]*accesslogv3.AccessLog)
}
