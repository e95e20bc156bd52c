{{- define "gateway.component" -}}IngressGateways{{- end }}

{{/* Labels every object carries (the chart contract), plus the gateway's own selector labels. */}}
{{- define "gateway.labels" -}}
{{- $gw := index .Values.gateways "istio-ingressgateway" -}}
{{- $labels := merge (dict
      "install.operator.istio.io/owning-resource" .Values.ownerName
      "operator.istio.io/component" (include "gateway.component" .)
      "istio.io/rev" (.Values.revision | default "default")
      "app.kubernetes.io/part-of" "meshctl"
      "app.kubernetes.io/name" $gw.name
      "app.kubernetes.io/instance" .Release.Name) $gw.labels -}}
{{- toYaml $labels }}
{{- end }}

{{- define "gateway.selector" -}}
{{- toYaml (index .Values.gateways "istio-ingressgateway").labels }}
{{- end }}

{{- define "gateway.image" -}}
{{- if contains "/" .image -}}
{{ .image }}
{{- else -}}
{{ .global.hub }}/{{ .image }}:{{ .global.tag }}
{{- end -}}
{{- end }}

{{/* The control plane this gateway gets configuration and certificates from. */}}
{{- define "gateway.istiodAddress" -}}
istiod{{ if .Values.revision }}-{{ .Values.revision }}{{ end }}.{{ .Values.global.istioNamespace }}.svc:15012
{{- end }}

{{- define "gateway.hpaEnabled" -}}
{{- $gw := index .Values.gateways "istio-ingressgateway" -}}
{{- if and $gw.autoscaleEnabled (lt (int $gw.autoscaleMin) (int $gw.autoscaleMax)) }}true{{ end -}}
{{- end }}

{{/*
gateway.env renders a container's env list from dict "base" (the chart's EnvVars), "env" (the
component's NAME: value map, sorted) and "extra" (EnvVars). A later entry with an existing name
replaces it in place: duplicate names would be rejected by server-side apply (env is a map keyed
by name), and a user override must win over the chart's default.
*/}}
{{- define "gateway.env" -}}
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

{{- define "gateway.imagePullSecrets" -}}
{{- range . }}
- name: {{ . | quote }}
{{- end }}
{{- end }}
