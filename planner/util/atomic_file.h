// Writing the planner's output files (plans, JSON, states, ONNX exports) so that a failed run
// never leaves half a file: a new temporary file next to the target ("<path>.tmp.XXXXXX", created
// O_EXCL|O_NOFOLLOW, so nothing planted there is written through), fsync, then a rename over it.
#pragma once

#include <string>

namespace edgetrain::planner {

// Throws std::runtime_error naming the path and the system's reason. A path that exists and is
// not a regular file (/dev/null, a FIFO, a terminal) is written in place: renaming over it would
// replace the device or pipe with a file.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace edgetrain::planner
