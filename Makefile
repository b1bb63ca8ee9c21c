# Thin wrapper over CMake. `make demo` and `make test` install missing Debian packages first.
BUILD ?= build
JOBS ?= $(shell nproc)
OEP := $(BUILD)/oep
DEB_PACKAGES := cmake g++ make libsqlitecpp-dev libsqlite3-dev rapidjson-dev libssl-dev catch2 libcli11-dev libre2-dev zlib1g-dev libjemalloc-dev sqlite3

.PHONY: all deps build test verify demo bench asan clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing Debian packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOEP_WERROR=ON $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory verify

verify: build
	$(OEP) verify

demo: build
	$(OEP) demo
	@echo; echo "== replay of the allowed decision (human) =="
	$(OEP) replay pder_oep_demo_read_diff_0001 --output-format human
	@echo; echo "== replay of the denied decision (human) =="
	$(OEP) replay pder_oep_demo_write_file_0002 --output-format human
	@echo; echo "== the denied decision as JSON: decision field =="
	$(OEP) replay pder_oep_demo_write_file_0002 --field decision
	@echo; echo "== counterfactual: the allowed read under a per-run budget cap =="
	$(OEP) replay pder_oep_demo_read_diff_0001 --counterfactual --policy-bundle permissions/policy/counterfactual/budget_per_run_cap.rego
	@echo; echo "== counterfactual: the denied write under a workflow step bound =="
	$(OEP) replay pder_oep_demo_write_file_0002 --counterfactual --policy-bundle permissions/policy/counterfactual/workflow_step_bound.rego
	@echo; echo "== impact: every stored decision under the approval-per-step escalation, saved as a run =="
	$(OEP) impact --policy-bundle permissions/policy/counterfactual/approval_per_step_escalation.rego --save --label "make demo"
	@echo; echo "== saved counterfactual runs =="
	$(OEP) impact list

bench: build
	@for b in $(BUILD)/bench/*; do echo "== $$b"; $$b || exit 1; done

asan:
	$(MAKE) BUILD=build-asan CMAKE_ARGS=-DOEP_SANITIZE=ON test

clean:
	rm -rf $(BUILD) build-asan
