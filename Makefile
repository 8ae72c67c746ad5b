# hlfc — every set-up step lives here, so a fresh machine needs only `make render` and
# `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := render

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BLUEPRINTS := $(sort $(wildcard blueprints/*.yaml))

.PHONY: env render schema lint tools test check bench clean

# Go-built test tools, cached in a git-ignored folder; the module proxy is the only source.
TOOLS := $(CURDIR)/.tools
GOBIN := $(TOOLS)/bin
KUBECONFORM_VERSION := v0.7.0
KUBE_LINTER_VERSION := v0.8.3
FABRIC_CA_VERSION := v1.5.21
EXTERNAL_SECRETS_VERSION := v1.3.2
PROMETHEUS_OPERATOR_VERSION := v0.85.0
VELERO_VERSION := v1.18.3
SNAPSHOTTER_VERSION := v8.7.0
# v3.5: the newest Argo CD whose module this machine's Go (1.26) accepts; same v1alpha1 CRDs
ARGOCD_VERSION := v3.5.7
ISTIO_API_VERSION := v1.31.4
# the directory `go mod download` unpacked a module into
moddir = $$(go mod download -json $(1) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p')

# The environment: a virtualenv with hlfc and its dev tools at the pinned versions.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

env: $(VENV)/.installed

schema: env
	$(BIN)/hlfc schema -o schemas/blueprint.schema.json

render: env schema
	$(BIN)/hlfc render $(BLUEPRINTS) -o output
	$(BIN)/hlfc graph blueprints/global.yaml -o docs/global.svg

lint: env
	$(BIN)/ruff check compiler tests bench
	$(BIN)/ruff format --check compiler tests bench
	$(BIN)/mypy

$(GOBIN)/kubeconform:
	GOBIN=$(GOBIN) go install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)

# kube-linter's canonical module path is golang.stackrox.io/kube-linter, a host that not
# every module proxy serves; the same module is published as github.com/stackrox/kube-linter,
# so build it from there.
$(GOBIN)/kube-linter:
	dir=$(call moddir,github.com/stackrox/kube-linter@$(KUBE_LINTER_VERSION)); \
	cd "$$dir" && go build -trimpath -o $@ \
	  -ldflags "-X golang.stackrox.io/kube-linter/internal/version.version=$(KUBE_LINTER_VERSION)" \
	  ./cmd/kube-linter

# `go install ...@version` also asks the proxy for the module's version list, which some
# proxies refuse; downloading the one version and building it needs only that version.
# cgo is required: the sqlite3 driver.
$(GOBIN)/fabric-ca-server:
	dir=$(call moddir,github.com/hyperledger/fabric-ca@$(FABRIC_CA_VERSION)); \
	cd "$$dir" && CGO_ENABLED=1 go build -trimpath -o $@ ./cmd/fabric-ca-server

# CRDs of the operators whose objects hlfc renders; tests turn them into JSON Schemas.
# $(call crds,NAME,MODULE@VERSION,GLOB inside the module)
define crds
	mkdir -p $(TOOLS)/crds/$(1)
	dir=$(call moddir,$(2)); cp "$$dir"/$(3) $(TOOLS)/crds/$(1)/
	chmod -R u+w $(TOOLS)/crds/$(1)
endef
CRDS := $(TOOLS)/crds/.done
$(CRDS):
	$(call crds,external-secrets,github.com/external-secrets/external-secrets@$(EXTERNAL_SECRETS_VERSION),config/crds/bases/external-secrets.io_*.yaml)
	$(call crds,prometheus-operator,github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION),example/prometheus-operator-crd/monitoring.coreos.com_*.yaml)
	$(call crds,velero,github.com/vmware-tanzu/velero@$(VELERO_VERSION),config/crd/v1/bases/velero.io_*.yaml)
	$(call crds,external-snapshotter,github.com/kubernetes-csi/external-snapshotter/client/v8@$(SNAPSHOTTER_VERSION),config/crd/snapshot.storage.k8s.io_*.yaml)
	$(call crds,argo-cd,github.com/argoproj/argo-cd/v3@$(ARGOCD_VERSION),manifests/crds/*-crd.yaml)
	$(call crds,istio,istio.io/api@$(ISTIO_API_VERSION),kubernetes/customresourcedefinitions.gen.yaml)
	touch $@

# promtool, from Debian's prometheus package (the server it also installs is not started).
PROMTOOL := /usr/bin/promtool
$(PROMTOOL):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus

tools: $(GOBIN)/kubeconform $(GOBIN)/kube-linter $(GOBIN)/fabric-ca-server $(CRDS) $(PROMTOOL)

test: env tools lint
	$(BIN)/pytest

# Re-render and fail on any difference from what is committed (output/ and schemas/).
check: render
	@git diff --exit-code --stat -- output schemas docs/global.svg || \
	  { echo "output/ or schemas/ differ from a fresh render: run 'make render' and commit"; exit 1; }
	@untracked=$$(git status --porcelain --untracked-files=all -- output schemas docs); \
	  if [ -n "$$untracked" ]; then echo "$$untracked"; \
	  echo "untracked files in output/ or schemas/: run 'make render' and commit"; exit 1; fi

bench: env
	$(BIN)/python bench/bench_render.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
