{{/*
Environment mesh-proxy reads in gateway mode (Istio's names, so existing tooling keeps working);
user env/extraEnv entries with the same name replace these.
*/}}
{{- define "gateway.baseEnv" -}}
{{- $gw := index .Values.gateways "istio-egressgateway" -}}
- name: PILOT_CERT_PROVIDER
  value: istiod
- name: CA_ADDR
  value: {{ include "gateway.istiodAddress" . | quote }}
- name: PROXY_CONFIG
  value: {{ dict "discoveryAddress" (include "gateway.istiodAddress" .) | toJson | quote }}
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
- name: HOST_IP
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: status.hostIP
- name: SERVICE_ACCOUNT
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: spec.serviceAccountName
- name: ISTIO_CPU_LIMIT
  valueFrom:
    resourceFieldRef:
      resource: limits.cpu
- name: GOMEMLIMIT
  valueFrom:
    resourceFieldRef:
      resource: limits.memory
- name: GOMAXPROCS
  valueFrom:
    resourceFieldRef:
      resource: limits.cpu
- name: ISTIO_META_WORKLOAD_NAME
  value: {{ $gw.name | quote }}
- name: ISTIO_META_OWNER
  value: kubernetes://apis/apps/v1/namespaces/{{ .Release.Namespace }}/deployments/{{ $gw.name }}
- name: ISTIO_META_ROUTER_MODE
  value: standard
- name: ISTIO_META_MESH_ID
  value: {{ .Values.global.meshID | default "cluster.local" | quote }}
- name: ISTIO_META_CLUSTER_ID
  value: {{ .Values.global.multiCluster.clusterName | default "Kubernetes" | quote }}
{{- with .Values.global.network }}
- name: ISTIO_META_NETWORK
  value: {{ . | quote }}
{{- end }}
- name: ISTIO_META_UNPRIVILEGED_POD
  value: "true"
{{- end }}
