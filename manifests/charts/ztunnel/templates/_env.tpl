{{/* Environment mesh-proxy reads in ztunnel mode; user env/extraEnv entries with the same name replace these. */}}
{{- define "ztunnel.baseEnv" -}}
- name: CA_ADDRESS
  value: {{ include "ztunnel.istiodAddress" . | quote }}
- name: XDS_ADDRESS
  value: {{ include "ztunnel.istiodAddress" . | quote }}
- name: CLUSTER_ID
  value: {{ .Values.global.multiCluster.clusterName | default "Kubernetes" | quote }}
- name: ISTIO_META_CLUSTER_ID
  value: {{ .Values.global.multiCluster.clusterName | default "Kubernetes" | quote }}
- name: ISTIO_META_MESH_ID
  value: {{ .Values.global.meshID | default "cluster.local" | quote }}
{{- with .Values.global.network }}
- name: NETWORK
  value: {{ . | quote }}
{{- end }}
- name: ISTIO_META_DNS_CAPTURE
  value: "true"
- name: LOG_LEVEL
  value: {{ .Values.ztunnel.logLevel | quote }}
- name: LOG_AS_JSON
  value: {{ .Values.global.logAsJson | toString | quote }}
- name: CLUSTER_DOMAIN
  value: {{ .Values.global.proxy.clusterDomain | quote }}
- name: NODE_NAME
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: spec.nodeName
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
- name: INSTANCE_IP
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: status.podIP
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
{{- end }}
