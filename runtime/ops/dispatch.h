// Runs one op of a plan: the executor's, the tests' and the kernel benchmark's one entry point.
#pragma once

#include "op_context.h"

namespace edgetrain {

Status run_op(const OpContext& c, const OpDesc& op);

}  // namespace edgetrain
