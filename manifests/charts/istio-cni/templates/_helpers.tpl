{{/* Labels every object carries (the chart contract), plus the recommended app.kubernetes.io ones. */}}
{{- define "cni.labels" -}}
install.operator.istio.io/owning-resource: {{ .Values.ownerName | quote }}
operator.istio.io/component: Cni
istio.io/rev: {{ .Values.revision | default "default" | quote }}
app.kubernetes.io/part-of: meshctl
app.kubernetes.io/name: istio-cni
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{- define "cni.selector" -}}
k8s-app: istio-cni-node
{{- end }}

{{- define "cni.image" -}}
{{- if contains "/" .image -}}
{{ .image }}
{{- else -}}
{{ .global.hub }}/{{ .image }}:{{ .global.tag }}
{{- end -}}
{{- end }}

{{/*
cni.env renders a container's env list from dict "base" (the chart's EnvVars), "env" (the
component's NAME: value map, sorted) and "extra" (EnvVars). A later entry with an existing name
replaces it in place: duplicate names would be rejected by server-side apply (env is a map keyed
by name), and a user override must win over the chart's default.
*/}}
{{- define "cni.env" -}}
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

{{- define "cni.imagePullSecrets" -}}
{{- range . }}
- name: {{ . | quote }}
{{- end }}
{{- end }}
