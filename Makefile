# hlfc — every set-up step lives here, so a fresh machine needs only `make render` and
# `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
# (with pipefail, never `cmd | grep -q`: grep stops at the first match and cmd may die of
# SIGPIPE, failing the recipe at random; `grep PATTERN >/dev/null` reads to the end)
.DEFAULT_GOAL := render

# The interpreter the environment is made from: any python3 >= 3.11 (`make PYTHON=...`). By
# default the distribution's /usr/bin/python3 when it is 3.11+ and can make a virtualenv:
# Debian builds it with PGO and LTO and a static libpython, and hlfc runs 13-15 % faster on it
# than on pyenv's default build of the same 3.11 (neither, and a shared libpython), which is
# what `python3` finds first on some machines (issue 16, bench/bench_cli.py prints which).
SYSTEM_PYTHON := /usr/bin/python3
PYTHON ?= $(if $(shell $(SYSTEM_PYTHON) -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo yes),$(SYSTEM_PYTHON),python3)
VENV := .venv
BIN := $(VENV)/bin
BLUEPRINTS := $(sort $(wildcard blueprints/*.yaml))

.PHONY: env pycache render schema lint tools fabric kubernetes twin-tools test check bench fuzz clean

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
# TLSRoute is v1 in the standard channel from v1.5
GATEWAY_API_VERSION := v1.6.3
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
	$(BIN)/hlfc schema --markdown -o docs/blueprint-reference.md

# Byte-code compiled ahead: with PYTHONDONTWRITEBYTECODE set (as on some CI machines) every
# `hlfc` start would compile the package again (a third of `hlfc validate`'s time).
pycache: env
	$(BIN)/python -m compileall -q compiler

render: env schema pycache
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
$(CRDS): Makefile
	$(call crds,external-secrets,github.com/external-secrets/external-secrets@$(EXTERNAL_SECRETS_VERSION),config/crds/bases/external-secrets.io_*.yaml)
	$(call crds,prometheus-operator,github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION),example/prometheus-operator-crd/monitoring.coreos.com_*.yaml)
	$(call crds,velero,github.com/vmware-tanzu/velero@$(VELERO_VERSION),config/crd/v1/bases/velero.io_*.yaml)
	$(call crds,external-snapshotter,github.com/kubernetes-csi/external-snapshotter/client/v8@$(SNAPSHOTTER_VERSION),config/crd/snapshot.storage.k8s.io_*.yaml)
	$(call crds,argo-cd,github.com/argoproj/argo-cd/v3@$(ARGOCD_VERSION),manifests/crds/*-crd.yaml)
	$(call crds,istio,istio.io/api@$(ISTIO_API_VERSION),kubernetes/customresourcedefinitions.gen.yaml)
	$(call crds,gateway-api,sigs.k8s.io/gateway-api@$(GATEWAY_API_VERSION),config/crd/standard/gateway.networking.k8s.io_gate*.yaml)
	$(call crds,gateway-api,sigs.k8s.io/gateway-api@$(GATEWAY_API_VERSION),config/crd/standard/gateway.networking.k8s.io_*routes.yaml)
	touch $@

# promtool, from Debian's prometheus package (the server it also installs is not started).
PROMTOOL := /usr/bin/promtool
$(PROMTOOL):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus

# ---------------------------------------------------------------------------------------
# Real Fabric and a real Kubernetes, built here. Sources: where ../shared/third_party/ exists
# (this workplace) its tarballs, checked by sha256; elsewhere the upstream tag, checked by
# its commit. Both paths meet in $(TOOLS)/src/<project>-<version>, and everything after that
# is one recipe.
SHARED_THIRD_PARTY ?= $(abspath $(CURDIR)/../shared/third_party)
FABRIC_VERSION := 2.5.16
FABRIC_COMMIT := f871cf92a026aba7b12e6f06d71ded3e6e659d71
FABRIC_SRC_SHA256 := 3fe3707028b080b24cb8981da9f9b155c12409c0a37c09d7c4cb686264492396
FABRIC_SRC := $(TOOLS)/src/fabric-$(FABRIC_VERSION)
FABRIC_BIN := $(TOOLS)/fabric-$(FABRIC_VERSION)/bin
FABRIC_TOOLS := peer orderer configtxgen configtxlator osnadmin cryptogen discover
FABRIC_LDFLAGS := -X github.com/hyperledger/fabric/common/metadata.Version=$(FABRIC_VERSION) \
  -X github.com/hyperledger/fabric/common/metadata.CommitSHA=$(shell echo $(FABRIC_COMMIT) | cut -c1-7)
FABRIC_CA_SRC := $(TOOLS)/src/fabric-ca-$(patsubst v%,%,$(FABRIC_CA_VERSION))
K8S_VERSION := v1.34.4
K8S_COMMANDS := kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl kube-proxy
K8S_LDFLAGS := $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
  -X $(p).gitVersion=$(K8S_VERSION) -X $(p).gitMajor=1 -X $(p).gitMinor=34 -X $(p).gitTreeState=clean)
TWIN_BUILD := $(CURDIR)/compiler/twin/build

$(FABRIC_SRC)/.done:
	rm -rf $(FABRIC_SRC) && mkdir -p $(FABRIC_SRC)
	if [ -f $(SHARED_THIRD_PARTY)/fabric-v$(FABRIC_VERSION)-src.tar.gz ]; then \
	  echo "$(FABRIC_SRC_SHA256)  $(SHARED_THIRD_PARTY)/fabric-v$(FABRIC_VERSION)-src.tar.gz" | sha256sum -c --quiet; \
	  tar -xzf $(SHARED_THIRD_PARTY)/fabric-v$(FABRIC_VERSION)-src.tar.gz -C $(FABRIC_SRC); \
	else \
	  git clone -q --depth 1 --branch v$(FABRIC_VERSION) https://github.com/hyperledger/fabric $(FABRIC_SRC); \
	  test "$$(git -C $(FABRIC_SRC) rev-parse HEAD)" = $(FABRIC_COMMIT); \
	fi
	touch $@

# The Fabric commands, from the version's own vendor/: no module download.
$(FABRIC_BIN)/.done: $(FABRIC_SRC)/.done
	mkdir -p $(FABRIC_BIN)
	cd $(FABRIC_SRC) && for t in $(FABRIC_TOOLS); do \
	  go build -mod=vendor -trimpath -buildvcs=false -ldflags "$(FABRIC_LDFLAGS)" -o $(FABRIC_BIN)/$$t ./cmd/$$t; \
	done
	$(FABRIC_BIN)/peer version | grep 'Version: $(FABRIC_VERSION)' >/dev/null
	touch $@

# fabrickeys and cakeys: the config structs of exactly the versions rendered
# (tests/fabric_keys.py), compiled inside each source tree.
$(GOBIN)/fabrickeys: $(FABRIC_SRC)/.done tests/tools/configkeys/walk.go tests/tools/configkeys/fabric/main.go
	mkdir -p $(FABRIC_SRC)/cmd/fabrickeys
	cp tests/tools/configkeys/walk.go tests/tools/configkeys/fabric/main.go $(FABRIC_SRC)/cmd/fabrickeys/
	cd $(FABRIC_SRC) && go build -mod=vendor -trimpath -buildvcs=false -o $@ ./cmd/fabrickeys

$(FABRIC_CA_SRC)/.done:
	rm -rf $(FABRIC_CA_SRC) && mkdir -p $(dir $(FABRIC_CA_SRC))
	dir=$(call moddir,github.com/hyperledger/fabric-ca@$(FABRIC_CA_VERSION)); cp -r "$$dir" $(FABRIC_CA_SRC)
	chmod -R u+w $(FABRIC_CA_SRC)
	touch $@

$(GOBIN)/cakeys: $(FABRIC_CA_SRC)/.done tests/tools/configkeys/walk.go tests/tools/configkeys/fabric-ca/main.go
	mkdir -p $(FABRIC_CA_SRC)/cmd/cakeys
	cp tests/tools/configkeys/walk.go tests/tools/configkeys/fabric-ca/main.go $(FABRIC_CA_SRC)/cmd/cakeys/
	cd $(FABRIC_CA_SRC) && go build -trimpath -o $@ ./cmd/cakeys

# Kubernetes from the module proxy through the wrapper module in compiler/twin/build/k8s
# (the k8s.io/kubernetes zip has no staging/ or vendor/); version strings by ldflags, or
# the server says v0.0.0-master and kubectl refuses it.
$(GOBIN)/.k8s-$(K8S_VERSION):
	cd $(TWIN_BUILD)/k8s && go build -trimpath -ldflags "-s -w $(K8S_LDFLAGS)" -o $(GOBIN)/ \
	  $(addprefix k8s.io/kubernetes/cmd/,$(K8S_COMMANDS))
	$(GOBIN)/kubectl version --client | grep $(K8S_VERSION) >/dev/null
	touch $@

$(GOBIN)/etcd: $(TWIN_BUILD)/etcd/go.mod
	cd $(TWIN_BUILD)/etcd && go build -trimpath -ldflags "-s -w" -o $@ go.etcd.io/etcd/server/v3

# The chaincode-as-a-service builder the official peer image carries: its own go.mod, whose
# three small dependencies come from the module proxy.
$(FABRIC_BIN)/.ccaas: $(FABRIC_SRC)/.done
	cd $(FABRIC_SRC)/ccaas_builder && for t in detect build release; do \
	  GOFLAGS=-mod=mod go build -trimpath -buildvcs=false -o $(FABRIC_BIN)/ccaas-$$t ./cmd/$$t; \
	done
	touch $@

$(GOBIN)/fabric-ca-client:
	dir=$(call moddir,github.com/hyperledger/fabric-ca@$(FABRIC_CA_VERSION)); \
	cd "$$dir" && CGO_ENABLED=1 go build -trimpath -o $@ ./cmd/fabric-ca-client

# The sandbox image's program (compiler/twin/build/pause), static.
$(GOBIN)/pause: $(TWIN_BUILD)/pause/main.go
	cd $(TWIN_BUILD)/pause && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o $@ .

# CouchDB, the peers' state database: 3.4.3 (3.5 needs Erlang/OTP 26; Debian 12 has 25),
# built offline from ../shared (its deps vendored) or from Apache's release tarball.
# `make release` needs neither rebar3 nor erlfmt, whose bootstraps configure would run
# (rebar3's fails here in escriptize): /bin/false makes any use of them fail loudly.
COUCHDB_VERSION := 3.4.3
COUCHDB_SHARED_SHA256 := d48818e01c582ddabaeb325ac4d4ebb3142b2010522a493386c3f32bc4827f4d
COUCHDB_RELEASE_SHA256 := 0357511b6fed70e3e64f4e75aa5d7cc2000cb0f264ef301702b1816427f72f20
COUCHDB := $(TOOLS)/couchdb-$(COUCHDB_VERSION)
COUCHDB_PACKAGES := erlang-nox erlang-dev erlang-reltool libicu-dev build-essential curl
$(COUCHDB)/.done:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(COUCHDB_PACKAGES)
	rm -rf $(TOOLS)/src/apache-couchdb-$(COUCHDB_VERSION) $(COUCHDB) && mkdir -p $(TOOLS)/src
	if [ -f $(SHARED_THIRD_PARTY)/couchdb-$(COUCHDB_VERSION)-src-with-deps.tar.gz ]; then \
	  echo "$(COUCHDB_SHARED_SHA256)  $(SHARED_THIRD_PARTY)/couchdb-$(COUCHDB_VERSION)-src-with-deps.tar.gz" | sha256sum -c --quiet; \
	  tar -xzf $(SHARED_THIRD_PARTY)/couchdb-$(COUCHDB_VERSION)-src-with-deps.tar.gz -C $(TOOLS)/src; \
	else \
	  curl -fsSL -o $(TOOLS)/src/couchdb.tar.gz https://archive.apache.org/dist/couchdb/source/$(COUCHDB_VERSION)/apache-couchdb-$(COUCHDB_VERSION).tar.gz; \
	  echo "$(COUCHDB_RELEASE_SHA256)  $(TOOLS)/src/couchdb.tar.gz" | sha256sum -c --quiet; \
	  tar -xzf $(TOOLS)/src/couchdb.tar.gz -C $(TOOLS)/src; \
	fi
	cd $(TOOLS)/src/apache-couchdb-$(COUCHDB_VERSION) && \
	  ./configure --disable-docs --disable-fauxton --disable-spidermonkey --js-engine=quickjs \
	    --rebar3 /bin/false --erlfmt /bin/false && \
	  env -u MAKEFLAGS -u MAKELEVEL make release
	cp -a $(TOOLS)/src/apache-couchdb-$(COUCHDB_VERSION)/rel/couchdb $(COUCHDB)
	test -d $(COUCHDB)/lib/couch-$(COUCHDB_VERSION)
	touch $@

# Cluster DNS: CoreDNS with the plugins a twin cluster uses (compiler/twin/build/coredns).
$(GOBIN)/coredns: $(TWIN_BUILD)/coredns/main.go $(TWIN_BUILD)/coredns/go.mod
	cd $(TWIN_BUILD)/coredns && go build -trimpath -ldflags "-s -w" -o $@ .

# What the enroller image installs (compiler/enroll/Dockerfile): hlfc and its pinned wheels,
# for the Python 3.11 of the images' Debian root.
ENROLLER_SITE := $(TOOLS)/images/enroller-site
$(ENROLLER_SITE)/.done: pyproject.toml constraints.txt $(shell find compiler -name '*.py' -o -name '*.in' -o -name '*.sh') | env
	rm -rf $(ENROLLER_SITE)
	$(BIN)/pip install -q --disable-pip-version-check --no-compile --target $(ENROLLER_SITE) \
	  --python-version 3.11 --only-binary=:all: --platform manylinux2014_x86_64 \
	  --implementation cp -c constraints.txt '.'
	# bytecode compiled here: the image's root filesystem is read-only, so a pod's Python
	# would otherwise compile every module it imports at every start (hash-checked .pyc:
	# the same bytes on every build)
	$(BIN)/python -m compileall -q -j 0 --invalidation-mode unchecked-hash $(ENROLLER_SITE)
	touch $@

# The example application's packages (blueprints/app), exactly as its lock file pins them,
# for the twin's application image; Node.js itself is the machine's.
APP_MODULES := $(TOOLS)/app
$(APP_MODULES)/.done: blueprints/app/package.json blueprints/app/package-lock.json
	rm -rf $(APP_MODULES) && mkdir -p $(APP_MODULES)
	cp blueprints/app/package.json blueprints/app/package-lock.json $(APP_MODULES)/
	cd $(APP_MODULES) && npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# A node's runtime, from the distribution: containerd, runc, the CNI plugins, iptables,
# conntrack (kube-proxy), umoci and mmdebstrap with Debian's keyring (images). Root is
# needed to run a twin.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TWIN_PACKAGES := containerd runc containernetworking-plugins iptables conntrack umoci mmdebstrap \
  debian-archive-keyring
$(TOOLS)/.twin-packages:
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TWIN_PACKAGES)
	mkdir -p $(TOOLS) && touch $@

# helm and the Bevel Operator Fabric charts (hlf-ca, hlf-peer, hlf-ordnode), for
# bench/bench_helm.py only: `helm template` once per node, as that operator renders them.
# helm from the module proxy like kubeconform. The charts: where ../shared/third_party/
# exists its tarball, checked by sha256; elsewhere GitHub's archive of the same commit, whose
# bytes differ from ours, so both paths then check the three charts' files by one digest
# (sha256 of the sorted `sha256sum` lines), taken from the ../shared tarball.
HELM_VERSION := v3.22.0
BEVEL_COMMIT := 50cf5efcd57baa9c02efcbf4040fe84172affbec
BEVEL_SHORT := $(shell echo $(BEVEL_COMMIT) | cut -c1-7)
BEVEL_CHARTS_TGZ_SHA256 := bec4271a489465cf766a18be3521563f46a0bbb924eba07ee65df39033ee9448
BEVEL_CHARTS_FILES_SHA256 := 9525b731d25b7bea93dc54790a96041a011627eb10ffc67636142ff1b6217e51
BEVEL_CHARTS_TGZ := $(SHARED_THIRD_PARTY)/bevel-operator-fabric-charts-$(BEVEL_SHORT).tar.gz
BEVEL_CHARTS := $(TOOLS)/bevel-charts-$(BEVEL_SHORT)

# The version strings helm's own Makefile sets (else `helm version` says v3.22 and templates
# see Kubernetes v1.20): Kubernetes 1.37, from the client-go v0.37 of helm's go.mod.
HELM_LDFLAGS := -s -w -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
  $(foreach p,pkg/chartutil pkg/lint/rules,-X helm.sh/helm/v3/$(p).k8sVersionMajor=1 -X helm.sh/helm/v3/$(p).k8sVersionMinor=37)
$(GOBIN)/helm:
	GOBIN=$(GOBIN) go install -trimpath -ldflags "$(HELM_LDFLAGS)" helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	$(GOBIN)/helm version --short | grep '^$(HELM_VERSION)' >/dev/null || { rm -f $@; exit 1; }

$(BEVEL_CHARTS)/.done:
	rm -rf $(BEVEL_CHARTS) && mkdir -p $(BEVEL_CHARTS)
	if [ -f $(BEVEL_CHARTS_TGZ) ]; then \
	  echo "$(BEVEL_CHARTS_TGZ_SHA256)  $(BEVEL_CHARTS_TGZ)" | sha256sum -c --quiet; \
	  tar -xzf $(BEVEL_CHARTS_TGZ) -C $(BEVEL_CHARTS); \
	else \
	  curl -fsSL https://codeload.github.com/hyperledger-bevel/bevel-operator-fabric/tar.gz/$(BEVEL_COMMIT) | \
	    tar -xz -C $(BEVEL_CHARTS) --strip-components=1 \
	      $(foreach c,hlf-ca hlf-peer hlf-ordnode,bevel-operator-fabric-$(BEVEL_COMMIT)/charts/$(c)); \
	fi
	cd $(BEVEL_CHARTS) && test "$$(find charts -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)" \
	  = $(BEVEL_CHARTS_FILES_SHA256)
	touch $@

.PHONY: helm
helm: $(GOBIN)/helm $(BEVEL_CHARTS)/.done

fabric: $(FABRIC_BIN)/.done $(FABRIC_BIN)/.ccaas $(GOBIN)/fabrickeys $(GOBIN)/cakeys
kubernetes: $(GOBIN)/.k8s-$(K8S_VERSION) $(GOBIN)/etcd $(GOBIN)/pause $(GOBIN)/coredns $(TOOLS)/.twin-packages
twin-tools: fabric kubernetes $(GOBIN)/fabric-ca-server $(GOBIN)/fabric-ca-client $(ENROLLER_SITE)/.done \
  $(COUCHDB)/.done $(APP_MODULES)/.done

tools: $(GOBIN)/kubeconform $(GOBIN)/kube-linter $(GOBIN)/fabric-ca-server $(CRDS) $(PROMTOOL) \
  twin-tools

test: env tools lint
	$(BIN)/pytest

# Re-render and fail on any difference from what is committed (output/ and schemas/).
check: render
	@git diff --exit-code --stat -- output schemas docs/global.svg docs/blueprint-reference.md || \
	  { echo "output/ or schemas/ differ from a fresh render: run 'make render' and commit"; exit 1; }
	@untracked=$$(git status --porcelain --untracked-files=all -- output schemas docs); \
	  if [ -n "$$untracked" ]; then echo "$$untracked"; \
	  echo "untracked files in output/ or schemas/: run 'make render' and commit"; exit 1; fi

# Not part of `make test`: 5,000 structure-aware and 5,000 byte-damaged blueprints, random
# seeds, each answered within a deadline with positioned diagnostics (make test runs a
# fixed-seed slice of the same generators).
FUZZ_EXAMPLES ?= 5000
fuzz: env
	HLFC_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -p no:cacheprovider -q \
	  --hypothesis-show-statistics tests/test_properties.py

# One scratch tree holds every bench's outputs and goes only after the last bench: files
# deleted just before a timed run would charge it (bench/scratch.py).
bench: env helm pycache $(GOBIN)/fabric-ca-server
	scratch=$$(mktemp -d -t hlfc-bench-XXXXXX); trap 'rm -rf "$$scratch"' EXIT; \
	export BENCH_SCRATCH=$$scratch; \
	$(BIN)/python bench/bench_cli.py; \
	$(BIN)/python bench/bench_render.py; \
	$(BIN)/python bench/bench_plan.py; \
	PATH=$(GOBIN):$$PATH $(BIN)/python bench/bench_enroll.py; \
	$(BIN)/python bench/bench_helm.py --helm $(GOBIN)/helm --charts $(BEVEL_CHARTS)/charts

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
