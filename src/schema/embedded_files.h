// Schema files compiled into the binary, so `oep` validates the same way from any directory.
#pragma once

#include <span>
#include <string_view>

namespace oep {

struct EmbeddedFile {
  std::string_view path;  // repository-relative
  std::string_view text;
};

std::span<const EmbeddedFile> EmbeddedFiles();

}  // namespace oep
