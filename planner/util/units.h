// Byte sizes as people write them: "300MiB", "1.5GB", "123456".
#pragma once

#include <cstdint>
#include <string>

namespace edgetrain::planner {

// Accepts B, K/KB (1000), KiB (1024), M/MB, MiB, G/GB, GiB, case-insensitive; throws
// std::invalid_argument naming the text otherwise.
uint64_t parse_bytes(const std::string& text);
// "123.4 MiB" style, for reports.
std::string format_mib(uint64_t bytes);

}  // namespace edgetrain::planner
