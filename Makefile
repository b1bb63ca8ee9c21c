# Thin wrapper over CMake. `make demo` and `make test` install missing Debian packages first.
BUILD ?= build
JOBS ?= $(shell nproc)
OEP := $(BUILD)/oep
DEB_PACKAGES := cmake g++ make libsqlitecpp-dev libsqlite3-dev rapidjson-dev libssl-dev catch2 libcli11-dev libre2-dev zlib1g-dev libjemalloc-dev libyaml-dev sqlite3 tzdata openssl libcpp-httplib-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core poppler-utils qpdf chromium chromium-driver python3-selenium libpqxx-dev postgresql

.PHONY: all deps build test suite verify demo bench asan fuzz clean deb

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

# Every test. The same suite under ASan + UBSan is `make asan` (build-asan/, about 10
# minutes on 2 cores); it is not part of `make test` while two store tests fail under it
# (see README).
test: suite

suite: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory verify

verify: build
	$(OEP) verify

# The Debian package (dpkg-deb): binaries, hardened systemd unit, default config, man page
# from the CLI's help; see src/packaging/deb/build_deb.sh. Written to $(BUILD)/deb/.
deb: build
	sh src/packaging/deb/build_deb.sh $(BUILD) $(BUILD)/deb

# `make demo STORE=postgresql://...` generates the demo store in that database (one without
# evidence, or one oep demo generated) and runs the walkthrough on it.
DEMO_STORE := $(if $(STORE),--store $(STORE))

demo: build
	$(OEP) demo $(DEMO_STORE)
	@echo; echo "== the stored decisions, newest first =="
	$(OEP) decisions $(DEMO_STORE)
	@echo; echo "== the runs =="
	$(OEP) runs $(DEMO_STORE)
	@echo; echo "== replay of the allowed decision (human) =="
	$(OEP) replay pder_oep_demo_read_diff_0001 --output-format human $(DEMO_STORE)
	@echo; echo "== replay of the denied decision (human) =="
	$(OEP) replay pder_oep_demo_write_file_0002 --output-format human $(DEMO_STORE)
	@echo; echo "== the denied decision as markdown, to paste into an incident document =="
	$(OEP) replay pder_oep_demo_write_file_0002 --output-format markdown $(DEMO_STORE)
	@echo; echo "== the denied decision as JSON: decision field =="
	$(OEP) replay pder_oep_demo_write_file_0002 --field decision $(DEMO_STORE)
	@echo; echo "== counterfactual: the allowed read under a per-run budget cap =="
	$(OEP) replay pder_oep_demo_read_diff_0001 --counterfactual --policy-bundle permissions/policy/counterfactual/budget_per_run_cap.rego $(DEMO_STORE)
	@echo; echo "== counterfactual: the denied write under a workflow step bound =="
	$(OEP) replay pder_oep_demo_write_file_0002 --counterfactual --policy-bundle permissions/policy/counterfactual/workflow_step_bound.rego $(DEMO_STORE)
	@echo; echo "== impact: every stored decision under the approval-per-step escalation, saved as a run =="
	$(OEP) impact --policy-bundle permissions/policy/counterfactual/approval_per_step_escalation.rego --save --label "make demo" $(DEMO_STORE)
	@echo; echo "== saved counterfactual runs =="
	$(OEP) impact list $(DEMO_STORE)
	@echo; echo "== policy PR: the per-step approval escalation against the current policy, over the recorded inputs (markdown) =="
	$(OEP) impact --policy-bundle permissions/policy/counterfactual/approval_per_step_escalation.rego --baseline-bundle permissions/policy/tool_permissions.rego --output-format markdown $(DEMO_STORE)

bench: build
	@for b in $(BUILD)/bench/*; do echo "== $$b"; $$b || exit 1; done
	@echo "== bench/sdk_python_bench.py"; OEP_BUILD_DIR=$(BUILD) python3 bench/sdk_python_bench.py

asan:
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp:print_suppressions=0 $(MAKE) --no-print-directory BUILD=build-asan CMAKE_ARGS=-DOEP_SANITIZE=ON suite

# libFuzzer (clang) over the Rego parser and the evaluator, the GraphQL/YAML parsers, JSON
# ingest and decision-log import, FUZZ_SECONDS each (not in CI; one target:
# `make fuzz FUZZ_TARGETS=json_ingest_fuzzer`). Seeds: every .rego file and every example
# artifact in the repository, the decision logs in tests/data, tests/fuzz/seeds (GraphQL,
# YAML) and tests/fuzz/regressions; a crash is written to
# build-fuzz/crash-* — fix it and keep the input under tests/fuzz/regressions/.
FUZZ_SECONDS ?= 120
FUZZ_TARGETS := rego_parse_fuzzer rego_eval_fuzzer document_parse_fuzzer json_ingest_fuzzer decision_log_fuzzer
fuzz: deps
	@command -v clang++ >/dev/null || { echo "make fuzz needs clang (apt-get install -y clang)"; exit 1; }
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DOEP_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	mkdir -p build-fuzz/seeds && find . -path ./build\* -prune -o -name '*.rego' -print | xargs -I{} cp {} build-fuzz/seeds/ && cp tests/fuzz/seeds/* tests/fuzz/regressions/* */examples/*.json tests/data/opa_decision_log/* build-fuzz/seeds/
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus-$$t; \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/tests/fuzz/ubsan.supp \
	  build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
	    -artifact_prefix=build-fuzz/crash-$$t- build-fuzz/corpus-$$t build-fuzz/seeds || exit 1; \
	done

clean:
	rm -rf $(BUILD) build-asan build-fuzz
