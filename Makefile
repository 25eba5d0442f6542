# Aegis: thin wrapper around CMake. `make run` and `make test` are the whole
# set-up on a fresh Debian 12 machine (they install what is missing first).

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# config/local.toml (ignored by git) is yours to edit; config/aegis.toml is
# the shipped default the tests check. LISTEN=HOST:PORT overrides rpc.listen.
CONFIG     ?= $(if $(wildcard config/local.toml),config/local.toml,config/aegis.toml)
LISTEN     ?=
# A development risk oracle for `aegis risk submit --key var/dev-oracle.key`
# (made on the first `make run`, trusted only by aegisd started by make run).
DEV_ORACLE ?= var/dev-oracle
FUZZ_SECONDS ?= 30
CMAKE_FLAGS ?=

.PHONY: all build deps run test asan asan-test bench fuzz clean cluster-soak

all: build

deps:
	@./scripts/install-deps

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

run: deps build
	@install -d -m 0700 var && chmod 0700 var
	@test -f $(DEV_ORACLE).pub || $(BUILD)/bin/aegis keygen --type ml-dsa-87 --out $(DEV_ORACLE) >/dev/null
	$(BUILD)/bin/aegisd --config $(CONFIG) --oracle-key $(DEV_ORACLE).pub $(if $(LISTEN),--listen $(LISTEN))

# 3 nats-servers (one JetStream cluster) + 3 aegisd workers on loopback, data
# under ./var/cluster/; prints each worker's RPC URL and the leader; Ctrl-C
# stops them all. CLUSTER_ARGS: e.g. "--workers 5 --auth".
.PHONY: cluster
cluster: deps build
	@./scripts/aegis-cluster start --dir var/cluster $(CLUSTER_ARGS)

# The longer leader-kill test, not in CI: KILLS SIGKILLs of the leader under load.
KILLS ?= 25
cluster-soak: deps build
	AEGIS_BIN=$(CURDIR)/$(BUILD)/bin TC_KILLS=$(KILLS) bash tests/cluster/test_leader_kill.sh

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --repeat until-pass:2

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DAEGIS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)

asan-test: asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE "slow" --repeat until-pass:2

bench: deps build
	$(BUILD)/bin/aegis bench all
	AEGIS_BIN=$(CURDIR)/$(BUILD)/bin ./scripts/bench-failover --kills 20
	AEGIS_BIN=$(CURDIR)/$(BUILD)/bin ./scripts/bench-cluster
	AEGIS_BIN=$(CURDIR)/$(BUILD)/bin ./scripts/bench-catchup

fuzz: deps
	CC=clang-14 cmake -S . -B $(FUZZ_BUILD) -DAEGIS_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	@for f in $(FUZZ_BUILD)/fuzz/fuzz_*; do \
	  n=$$(basename $$f | sed 's/^fuzz_//'); mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
	  echo "== $$f ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus/$$n fuzz/corpus/$$n || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
