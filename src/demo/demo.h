// The deterministic code-review agent scenario, and synthetic stores of any size.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ingest/ingest.h"
#include "util/status.h"

namespace oep {

// The demo's decisions, as `make demo` replays them.
inline constexpr const char* kDemoAllowedDecision = "pder_oep_demo_read_diff_0001";
inline constexpr const char* kDemoDeniedDecision = "pder_oep_demo_write_file_0002";

// The scenario's artifact folders under `root`, in ingest order.
std::vector<std::string> DemoArtifactDirs(const std::string& root);

// Ingests the scenario into a fresh store built beside `state_path` (under a unique
// temporary name; those of killed runs are removed first), marks it as a generated demo
// store, then publishes it over `state_path` by atomic rename (a reader never sees a
// half-built store). Refuses, changing nothing, when `state_path` holds anything but a
// store oep demo generated: a symbolic link (never written through), a text file, a
// foreign database, an evidence store. A store from before stores were marked is
// replaced only at DefaultDemoStatePath(root). `state_path` may be a store URL: "sqlite:PATH"
// as PATH; for a "postgresql://" database (whose tables are append-only, nothing is replaced)
// the scenario is ingested in one transaction into a database holding no evidence or a store
// oep demo generated (where the same scenario again changes nothing), any other refused as is.
Result<IngestReport> BuildDemoStore(const std::string& root, const std::string& state_path);

// Builds the scenario plus `decisions` synthetic decisions (each with its agent-step
// event; one trace per run of 10 steps) through the normal ingest path, and publishes
// it like BuildDemoStore. Deterministic for a given (decisions, seed). `progress` (when
// given) is told how many decisions are prepared, block after block.
Result<IngestReport> BuildSyntheticStore(const std::string& root, const std::string& state_path,
                                         int64_t decisions, uint64_t seed,
                                         const std::function<void(int64_t done)>& progress = {});

// Writes `events` synthetic agent-step events as JSONL (one per line) referencing the
// demo manifest; for ingest benchmarks.
std::string SyntheticEventsJsonl(int64_t first, int64_t events, uint64_t seed);

}  // namespace oep
