{{/* The istiod Service spec before .Values.pilot.service is merged over it. */}}
{{- define "istiod.serviceSpec" -}}
{{- $remote := .Values.global.remotePilotAddress -}}
{{- if and $remote (not (include "istiod.remoteIsIP" .)) }}
{{- /* A remote control plane known by name: a DNS alias; the port numbers are the remote ones. */}}
type: ExternalName
externalName: {{ $remote }}
{{- else }}
type: ClusterIP
{{- if not $remote }}
selector:
  {{- include "istiod.selector" . | nindent 2 }}
{{- end }}
{{- end }}
ports:
  - name: grpc-xds
    port: 15010
    targetPort: 15010
    protocol: TCP
  - name: https-dns
    port: 15012
    targetPort: 15012
    protocol: TCP
  - name: https-webhook
    port: 443
    targetPort: 15017
    protocol: TCP
  - name: http-monitoring
    port: 15014
    targetPort: 15014
    protocol: TCP
{{- end }}

{{- define "istiod.remoteIsIP" -}}
{{- if regexMatch "^([0-9]{1,3}\\.){3}[0-9]{1,3}$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$" .Values.global.remotePilotAddress }}true{{ end -}}
{{- end }}
