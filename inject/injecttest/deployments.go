// Package injecttest generates kube-inject input for benchmarks and tests.
package injecttest

import (
	"bytes"
	"fmt"
)

// Deployments is a stream of n Deployments with two containers each, the shape of the speed target.
func Deployments(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%[1]d
  namespace: ns-%[2]d
  labels:
    app: app-%[1]d
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-%[1]d
  template:
    metadata:
      labels:
        app: app-%[1]d
        version: v1
    spec:
      serviceAccountName: app-%[1]d
      containers:
      - name: app
        image: docker.io/example/app:1.%[1]d
        args: ["--port", "8080"]
        ports:
        - name: http
          containerPort: 8080
        readinessProbe:
          httpGet:
            path: /ready
            port: http
        resources:
          requests: {cpu: 100m, memory: 128Mi}
      - name: cache
        image: docker.io/library/redis:7
        ports:
        - containerPort: 6379
        volumeMounts:
        - name: data
          mountPath: /data
      volumes:
      - name: data
        emptyDir: {}
---
`, i, i%100)
	}
	return b.Bytes()
}
