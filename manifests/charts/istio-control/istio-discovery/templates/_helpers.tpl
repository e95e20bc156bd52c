{{/*
Names: every per-revision object gets "-<revision>" appended, as Istio does, so two control planes
(canary upgrades) can live side by side in one namespace.
*/}}
{{- define "istiod.revSuffix" -}}
{{- if .Values.revision }}-{{ .Values.revision }}{{ end -}}
{{- end }}

{{- define "istiod.name" -}}
istiod{{ include "istiod.revSuffix" . }}
{{- end }}

{{- define "istiod.rev" -}}
{{ .Values.revision | default "default" }}
{{- end }}

{{/* Labels every object carries (the chart contract), plus the recommended app.kubernetes.io ones. */}}
{{- define "istiod.labels" -}}
install.operator.istio.io/owning-resource: {{ .Values.ownerName | quote }}
operator.istio.io/component: Pilot
istio.io/rev: {{ include "istiod.rev" . | quote }}
app.kubernetes.io/part-of: meshctl
app.kubernetes.io/name: istiod
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/* Selector of the istiod pods of this revision (Deployment, Service, PDB). */}}
{{- define "istiod.selector" -}}
app: istiod
istio.io/rev: {{ include "istiod.rev" . | quote }}
{{- end }}

{{/* image renders <hub>/<image>:<tag>, or the image as given when it already names a registry. */}}
{{- define "istiod.image" -}}
{{- if contains "/" .image -}}
{{ .image }}
{{- else -}}
{{ .global.hub }}/{{ .image }}:{{ .global.tag }}
{{- end -}}
{{- end }}

{{/* Address proxies and webhooks use to reach this control plane. */}}
{{- define "istiod.address" -}}
{{ include "istiod.name" . }}.{{ .Release.Namespace }}.svc:15012
{{- end }}

{{- define "istiod.injectorName" -}}
istio-sidecar-injector{{ include "istiod.revSuffix" . }}
{{- end }}

{{- define "istiod.validatorName" -}}
istio-validator{{ include "istiod.revSuffix" . }}-{{ .Release.Namespace }}
{{- end }}

{{- define "istiod.hpaEnabled" -}}
{{- if and .Values.pilot.autoscaleEnabled (lt (int .Values.pilot.autoscaleMin) (int .Values.pilot.autoscaleMax)) }}true{{ end -}}
{{- end }}

{{/*
istiod.env renders a container's env list from dict "base" (the chart's EnvVars), "env" (the
component's NAME: value map, sorted) and "extra" (EnvVars). A later entry with an existing name
replaces it in place: duplicate names would be rejected by server-side apply (env is a map keyed
by name), and a user override must win over the chart's default.
*/}}
{{- define "istiod.env" -}}
{{- $all := .base -}}
{{- range $k, $v := .env }}
{{- $all = append $all (dict "name" $k "value" (toString $v)) }}
{{- end }}
{{- $all = concat $all .extra -}}
{{- $order := list -}}
{{- $byName := dict -}}
{{- range $all }}
{{- $n := required "every env entry needs a name" (get . "name") }}
{{- if not (hasKey $byName $n) }}{{ $order = append $order $n }}{{ end }}
{{- $_ := set $byName $n . }}
{{- end }}
{{- $out := list -}}
{{- range $order }}{{ $out = append $out (get $byName .) }}{{ end }}
{{- toYaml $out }}
{{- end }}

{{- define "istiod.imagePullSecrets" -}}
{{- range . }}
- name: {{ . | quote }}
{{- end }}
{{- end }}
