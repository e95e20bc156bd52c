# meshctl's build. Every target works on a fresh machine with only Go, make and the Go module proxy.
SHELL := /usr/bin/env bash
GO ?= go
export CGO_ENABLED := 0

PKG := github.com/meshctl/meshctl
VERSION ?= $(shell git describe --tags --exact-match 2>/dev/null || echo 0.1.0-dev)
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
BUILD_DATE ?= $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
LDFLAGS := -s -w \
	-X $(PKG)/cmd/internal/buildinfo.Version=$(VERSION) \
	-X $(PKG)/cmd/internal/buildinfo.GitCommit=$(COMMIT) \
	-X $(PKG)/cmd/internal/buildinfo.BuildDate=$(BUILD_DATE)

BIN := $(CURDIR)/bin
TOOLS := $(CURDIR)/bin/tools
STATICCHECK_VERSION := v0.8.2
TEST_TIMEOUT ?= 55m
FUZZTIME ?= 5s

.PHONY: all build proxy meshd test fuzz lint vet staticcheck bench bench-proxy bench-proxy-tools cluster-build cluster-up cluster-down images demo clean

all: build

build: ## build bin/meshctl
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/meshctl ./cmd/meshctl

proxy: ## build bin/mesh-proxy and bin/mesh-init
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/mesh-proxy ./cmd/mesh-proxy
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/mesh-init ./cmd/mesh-init

meshd: ## build bin/meshd and bin/mesh-load (the xDS load tool)
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/meshd ./cmd/meshd
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/mesh-load ./cmd/mesh-load

vet:
	$(GO) vet ./...

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(TOOLS)/staticcheck
	$(TOOLS)/staticcheck ./...

lint: vet staticcheck ## go vet and staticcheck

test: lint fuzz cluster-build ## everything CI runs: lint, fuzzing, then all tests against the local test cluster
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

# Every `func FuzzXxx` of the repository for $(FUZZTIME) each, one at a time; see .ci/fuzz.
fuzz: ## run every fuzz target for FUZZTIME (5s) each; a failing input fails the build
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz

bench: ## benchmarks, with whole-process CPU and memory figures
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The data plane's figures beside peer proxies (docs/bench-proxy.md). Needs root: the benchmark
# creates network namespaces. The peers come from Debian (nginx, haproxy, wrk) and the module proxy.
FORTIO_VERSION := v1.66.5
CADDY_VERSION := v2.11.9
BENCH_PROXY_FLAGS ?=

$(TOOLS)/fortio:
	GOBIN=$(TOOLS) $(GO) install fortio.org/fortio@$(FORTIO_VERSION)

$(TOOLS)/caddy:
	GOBIN=$(TOOLS) $(GO) install github.com/caddyserver/caddy/v2/cmd/caddy@$(CADDY_VERSION)

bench-proxy-tools: $(TOOLS)/fortio $(TOOLS)/caddy
	@command -v nginx >/dev/null && command -v haproxy >/dev/null && command -v wrk >/dev/null || \
		{ echo "bench-proxy: apt-get install nginx haproxy wrk" >&2; exit 1; }

bench-proxy: proxy bench-proxy-tools ## mesh-proxy against direct, nginx, haproxy and Caddy in network namespaces (root)
	$(GO) run ./cmd/meshctl-benchproxy -bin $(BIN) -tools $(TOOLS) $(BENCH_PROXY_FLAGS)

# The local test cluster (internal/testenv, docs/testenv.md). Binaries are built once into
# $XDG_CACHE_HOME/meshctl-testenv; `make -s cluster-up` prints only the export line, for eval.
TESTENV := $(GO) run ./cmd/meshctl-testenv

cluster-build: ## compile etcd, Kubernetes, KWOK and the real node's kubelet, kube-proxy, kubectl and CoreDNS; apt-get what the node needs
	$(TESTENV) build

# The real node (docs/testenv.md) needs root; REAL_NODE=false starts KWOK's nodes only.
REAL_NODE ?= true
cluster-up: ## start the test cluster in the background: eval "$$(make -s cluster-up)"
	@$(TESTENV) up --real-node=$(REAL_NODE)

cluster-down: ## stop the test cluster by PID and remove its state
	@$(TESTENV) down

# The images of every program the mesh deploys (images.Programs), built offline as OCI tarballs, and
# loaded into the local cluster's real node when one runs.
IMAGES := $(GO) run ./cmd/mesh-images
images: ## build bin/images/*.tar (OCI) for every deployed program; load them into the local cluster's node
	@$(IMAGES) build --out $(BIN)/images --version $(VERSION) --load

# The README's first command: the whole tutorial flow on a local cluster the project starts itself. With the
# real node (REAL_NODE=true, the default; needs root) bookinfo's pods run for real, from images built offline.
BOOKINFO := manifests/samples/bookinfo
demo: build ## build meshctl, start a local cluster, install the demo profile, deploy bookinfo, analyze it
	@set -euo pipefail; \
	echo "==> starting the local cluster (the first run compiles Kubernetes: 15-25 minutes)"; \
	eval "$$($(TESTENV) up --real-node=$(REAL_NODE))"; \
	KUBECTL="$$($(TESTENV) which kubectl)"; \
	step() { echo; echo "==> $$*"; "$$@"; }; \
	step $(BIN)/meshctl x precheck; \
	echo; echo "==> make images: every deployed program's image, built offline, loaded into the real node"; \
	$(IMAGES) build --out $(BIN)/images --version $(VERSION) --load >/dev/null; \
	placement=(); \
	if [ "$(REAL_NODE)" = true ]; then \
		printf '%s\n' 'apiVersion: install.istio.io/v1alpha1' 'kind: IstioOperator' 'spec:' '  values:' '    global:' \
			'      defaultNodeSelector: {meshctl.io/real-node: "true"}' \
			'      defaultTolerations: [{key: meshctl.io/real-node, operator: Exists, effect: NoSchedule}]' > $(BIN)/real-node.yaml; \
		placement=(-f $(BIN)/real-node.yaml); \
	fi; \
	step $(BIN)/meshctl install --set profile=demo "$${placement[@]}" -y; \
	if $(IMAGES) list | grep -q '^meshd\b'; then \
		step "$$KUBECTL" rollout status deployment/istiod -n istio-system --timeout=180s; \
		step "$$KUBECTL" label namespace default istio-injection=enabled --overwrite; \
	else \
		echo; echo "==> not labelling default for injection: meshd, which injects the sidecars, is not in this release yet"; \
	fi; \
	echo; echo "==> bookinfo with the project's sample images$(if $(filter true,$(REAL_NODE)), on the real node,)"; \
	$(TESTENV) sample $(BOOKINFO)/platform/kube/bookinfo.yaml --version $(VERSION) --real-node=$(REAL_NODE) | "$$KUBECTL" apply -f -; \
	step "$$KUBECTL" apply -f $(BOOKINFO)/networking/bookinfo-gateway.yaml -f $(BOOKINFO)/networking/destination-rule-all.yaml; \
	step "$$KUBECTL" wait --for=condition=Ready pods --all -n default --timeout=180s; \
	"$$KUBECTL" get pods -n default -o wide; \
	echo; echo "==> $(BIN)/meshctl analyze -n default"; \
	$(BIN)/meshctl analyze -n default && echo "(analyze: exit 0)" || echo "(analyze: exit $$?, see docs/exit-codes.md)"; \
	echo; \
	echo "The mesh and bookinfo run on a local cluster. Point your shell at it, then try:"; \
	echo "  eval \"\$$(make -s cluster-up)\"      # sets KUBECONFIG=$$KUBECONFIG"; \
	echo "  alias kubectl=$$KUBECTL   # kubectl of the cluster's version"; \
	echo "  kubectl port-forward svc/productpage 9080:9080   # then open http://localhost:9080/productpage"; \
	echo "  $(BIN)/meshctl verify-install"; \
	echo "  kubectl get pods -n istio-system"; \
	echo "  kubectl apply -f $(BOOKINFO)/networking/virtual-service-all-v1.yaml && $(BIN)/meshctl analyze"; \
	echo "  $(BIN)/meshctl profile diff default demo"; \
	echo "  $(BIN)/meshctl uninstall --purge -y"; \
	echo "Stop the cluster with: make cluster-down"

clean:
	rm -rf $(BIN)
