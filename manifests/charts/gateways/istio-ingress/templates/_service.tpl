{{/*
The gateway Service spec before the gateway's `service` fragment is merged over it. A port entry
needs name and port; targetPort (number or container port name), protocol and nodePort are optional.
*/}}
{{- define "gateway.serviceSpec" -}}
{{- $gw := index .Values.gateways "istio-ingressgateway" -}}
type: {{ $gw.type }}
selector:
  {{- include "gateway.selector" . | nindent 2 }}
ports:
  {{- range $gw.ports }}
  - name: {{ .name }}
    port: {{ .port | int }}
    {{- $target := get . "targetPort" | default .port }}
    targetPort: {{ if kindIs "string" $target }}{{ $target | quote }}{{ else }}{{ $target | int }}{{ end }}
    protocol: {{ get . "protocol" | default "TCP" }}
    {{- with get . "nodePort" }}
    nodePort: {{ . | int }}
    {{- end }}
  {{- end }}
{{- end }}
