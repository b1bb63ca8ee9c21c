// Small file helpers with Status errors.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace oep {

Result<std::string> ReadFile(const std::string& path);

// Writes `data` to a temporary file beside `path`, fsyncs it and renames it over
// `path`: readers see the old file or the new one, never half of one.
Status WriteFileAtomic(const std::string& path, std::string_view data);

// A fresh path beside `path` for building a file that will be published by rename.
std::string TempSiblingPath(const std::string& path);

}  // namespace oep
