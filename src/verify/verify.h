// `oep verify`: checks that the evidence holds together. Each check is one line of output.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace oep {

struct CheckResult {
  std::string name;
  bool ok = true;
  std::string detail;  // what was checked, or the first thing that broke
};

struct VerifyReport {
  std::vector<CheckResult> checks;
  bool ok() const;
  std::string Render() const;  // "ok   name: detail" / "FAIL name: detail" per line
};

// Cross-artifact joins of a store: every reference between manifests, events, decisions,
// traces, evals, reviews and reconstruction packets resolves and agrees.
CheckResult CheckJoins(Store& store);

// The ledger's chains and coverage (see chain_verify.h).
CheckResult CheckLedger(Store& store);

// Every join-key column of every kind equals the value its canonical body holds.
CheckResult CheckDerivedColumns(Store& store);

// Every stored manifest's layer digests against the files they name under `root`.
CheckResult CheckManifestDigests(Store& store, const std::string& root);

// Every decision replays and its record validates against the replay schema.
CheckResult CheckReplays(Store& store);

// Every stored decision replayed under every policy in permissions/policy/counterfactual,
// twice with the same timestamp: valid records, byte-identical JSON and JSONL.
CheckResult CheckCounterfactualDeterminism(Store& store, const std::string& root);

// Every example artifact under the five artifact folders of `root` validates.
CheckResult CheckExamples(const std::string& root);

// The demo end to end: examples, two regenerations into `scratch_dir`, joins, digests,
// replays, and byte-identical canonical dumps of the two regenerations.
VerifyReport VerifyDemo(const std::string& root, const std::string& scratch_dir);

// The checks that apply to any store (joins, digests against `root`, replays).
VerifyReport VerifyStore(Store& store, const std::string& root);

// SHA-256 of a store's canonical dump (Store::Dump).
Result<std::string> DumpDigest(Store& store);

}  // namespace oep
