// The one time syntax of every --since / --until: an RFC 3339 time
// ("2026-11-01T09:15:00Z", "2026-11-01T11:15:00+02:00"), an RFC 3339 full date
// ("2026-11-01", midnight UTC), or a duration back from now ("90s", "30m", "24h", "7d",
// "2w"). Anything else is an error, never a bound that silently matches nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace oep {

// `text` as a UTC time "YYYY-MM-DDTHH:MM:SS[.fff]Z" (how stored times compare), with
// durations counted back from `now_unix_seconds`. `flag` ("--since") names the option
// in the error.
Result<std::string> ParseTimeBound(std::string_view flag, std::string_view text, int64_t now_unix_seconds);

// A duration "90s", "30m", "24h", "7d", "2w" in seconds (at most a century); nullopt otherwise.
std::optional<int64_t> ParseDurationSeconds(std::string_view text);
// Seconds since the epoch now (the clock ParseTimeBound's callers pass).
int64_t UnixNow();

// "YYYY-MM-DDTHH:MM:SSZ" for seconds since the epoch.
std::string FormatUtcSeconds(int64_t unix_seconds);

}  // namespace oep
