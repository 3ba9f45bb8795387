// Numbers and byte sizes as people write them on command lines: "8", "300MiB", "1.5GB".
#pragma once

#include <cstdint>
#include <string>

namespace edgetrain::planner {

// Plain decimal digits only (no sign, space, "0x" or exponent), at most `max`: false otherwise.
bool parse_decimal(const std::string& text, uint64_t max, uint64_t* value);

// Digits with an optional fraction, then a unit: B, K/KB (1000), KiB (1024), M/MB, MiB, G/GB,
// GiB, case-insensitive, or none; throws std::invalid_argument naming the text otherwise.
uint64_t parse_bytes(const std::string& text);
// "123.4 MiB" style, for reports.
std::string format_mib(uint64_t bytes);

}  // namespace edgetrain::planner
