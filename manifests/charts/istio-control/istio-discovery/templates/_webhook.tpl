{{/*
istiod.webhookClient: how the API server reaches meshd. No caBundle: meshd patches it in when it
has issued its serving certificate (INJECTION_WEBHOOK_CONFIG_NAME / VALIDATION_WEBHOOK_CONFIG_NAME).
Input: dict "ctx" (the root context) "path".
*/}}
{{- define "istiod.webhookClient" -}}
{{- $ctx := .ctx -}}
service:
  name: {{ include "istiod.name" $ctx }}
  namespace: {{ $ctx.Release.Namespace }}
  path: {{ .path }}
  {{- /* An ExternalName Service does not translate ports: talk to the remote webhook port itself. */}}
  port: {{ if and $ctx.Values.global.remotePilotAddress (not (include "istiod.remoteIsIP" $ctx)) }}15017{{ else }}443{{ end }}
{{- end }}

{{/* The parts every injection webhook shares; input: dict "ctx" "name". */}}
{{- define "istiod.injectionWebhook" -}}
name: {{ .name }}
clientConfig:
  {{- include "istiod.webhookClient" (dict "ctx" .ctx "path" "/inject") | nindent 2 }}
rules:
  - operations: ["CREATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
sideEffects: None
failurePolicy: Fail
reinvocationPolicy: {{ .ctx.Values.sidecarInjectorWebhook.reinvocationPolicy }}
admissionReviewVersions: ["v1"]
{{- end }}

{{/* The parts every validation webhook shares; input: dict "ctx" "name". */}}
{{- define "istiod.validationWebhook" -}}
name: {{ .name }}
clientConfig:
  {{- include "istiod.webhookClient" (dict "ctx" .ctx "path" "/validate") | nindent 2 }}
rules:
  - operations: ["CREATE", "UPDATE"]
    apiGroups:
      - security.istio.io
      - networking.istio.io
      - telemetry.istio.io
      - extensions.istio.io
    apiVersions: ["*"]
    resources: ["*"]
failurePolicy: Ignore
sideEffects: None
admissionReviewVersions: ["v1"]
{{- end }}
