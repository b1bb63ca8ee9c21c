// Where oep finds its repository data and its default stores.
#pragma once

#include <string>

namespace oep {

// The repository root holding manifest/, events/, permissions/, ... and demo/:
// $OEP_HOME, else the source directory this binary was built from.
std::string RepoRoot();

// The demo store: $OEP_DEMO_STATE_PATH, else DefaultDemoStatePath(RepoRoot()).
std::string DemoStatePath();
// <root>/demo/state/code_review_agent.sqlite
std::string DefaultDemoStatePath(const std::string& root);

// The store a verb uses without --store / --state-path: $OEP_STORE_URL, else
// $OEP_STATE_PATH, else the demo store.
std::string DefaultStatePath();

}  // namespace oep
