// RFC 3339 timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace oep {

// Nanoseconds since the epoch of an RFC 3339 timestamp ("2026-11-01T09:15:02Z",
// "2026-11-01T11:15:02.5+02:00"); nullopt when `ts` is not one.
std::optional<int64_t> ParseRfc3339Ns(std::string_view ts);

}  // namespace oep
