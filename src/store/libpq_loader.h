// Loads libpq.so.5 (once per process) for the PostgreSQL store; see libpq_loader.cc.
#pragma once

#include <string>

namespace oep {

// True when libpq is loaded; else false with `error` saying why.
bool LoadLibpq(std::string* error);

}  // namespace oep
