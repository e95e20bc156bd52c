{{/*
Labels of every object of the base chart: the owner labels that meshctl prunes and upgrades by.
Values are quoted: a revision or owner name of digits would otherwise become a YAML number.
*/}}
{{- define "base.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/name: base
app.kubernetes.io/part-of: meshctl
install.operator.istio.io/owning-resource: {{ .Values.ownerName | quote }}
istio.io/rev: {{ .Values.revision | default "default" | quote }}
operator.istio.io/component: Base
{{- end }}
