{{/* Labels every object carries (the chart contract), plus the recommended app.kubernetes.io ones. */}}
{{- define "ztunnel.labels" -}}
install.operator.istio.io/owning-resource: {{ .Values.ownerName | quote }}
operator.istio.io/component: Ztunnel
istio.io/rev: {{ .Values.revision | default "default" | quote }}
app.kubernetes.io/part-of: meshctl
app.kubernetes.io/name: ztunnel
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{- define "ztunnel.selector" -}}
app: ztunnel
{{- end }}

{{- define "ztunnel.image" -}}
{{- if contains "/" .image -}}
{{ .image }}
{{- else -}}
{{ .global.hub }}/{{ .image }}:{{ .global.tag }}
{{- end -}}
{{- end }}

{{- define "ztunnel.istiodAddress" -}}
istiod{{ if .Values.revision }}-{{ .Values.revision }}{{ end }}.{{ .Values.global.istioNamespace }}.svc:15012
{{- end }}

{{/*
ztunnel.env renders a container's env list from dict "base" (the chart's EnvVars), "env" (the
component's NAME: value map, sorted) and "extra" (EnvVars). A later entry with an existing name
replaces it in place: duplicate names would be rejected by server-side apply (env is a map keyed
by name), and a user override must win over the chart's default.
*/}}
{{- define "ztunnel.env" -}}
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

{{- define "ztunnel.imagePullSecrets" -}}
{{- range . }}
- name: {{ . | quote }}
{{- end }}
{{- end }}
