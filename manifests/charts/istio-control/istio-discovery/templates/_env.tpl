{{/* Environment meshd reads; user env/extraEnv entries with the same name replace these. */}}
{{- define "istiod.baseEnv" -}}
- name: REVISION
  value: {{ include "istiod.rev" . | quote }}
- name: PILOT_CERT_PROVIDER
  value: istiod
- name: POD_NAME
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: metadata.namespace
- name: SERVICE_ACCOUNT
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: spec.serviceAccountName
- name: GOMEMLIMIT
  valueFrom:
    resourceFieldRef:
      resource: limits.memory
- name: GOMAXPROCS
  valueFrom:
    resourceFieldRef:
      resource: limits.cpu
- name: CLUSTER_ID
  value: {{ .Values.global.multiCluster.clusterName | default "Kubernetes" | quote }}
- name: ISTIOD_ADDR
  value: {{ include "istiod.address" . | quote }}
- name: INJECTION_WEBHOOK_CONFIG_NAME
  value: {{ include "istiod.injectorName" . | quote }}
- name: VALIDATION_WEBHOOK_CONFIG_NAME
  value: {{ include "istiod.validatorName" . | quote }}
- name: PILOT_TRACE_SAMPLING
  value: {{ .Values.pilot.traceSampling | toString | quote }}
- name: ENABLE_NATIVE_SIDECARS
  value: {{ .Values.pilot.enableNativeSidecars | toString | quote }}
- name: EXTERNAL_ISTIOD
  value: {{ .Values.global.externalIstiod | toString | quote }}
{{- end }}
