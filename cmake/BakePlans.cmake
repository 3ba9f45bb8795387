# The plan-baking function, for this tree (Plans.cmake sets the planner) and for apps that
# find_package(edgetrain) (the package's config sets it from EDGETRAIN_PLANNER).
# EDGETRAIN_PLANNER_COMMAND: the planner to run; EDGETRAIN_PLAN_TARGET: host or pi3 (the device
# the peak-RSS prediction is for); EDGETRAIN_PLANNER_DEPENDS: what the generated file depends on.
# edgetrain_bake_plans(<out_var> NAME <name> MODEL <model> BATCHES <b1> [<b2> ...]
#                      [ARGS <more planner flags>...])
# Runs the planner and sets <out_var> to the generated C++ file holding kBakedPlans.
function(edgetrain_bake_plans out_var)
  cmake_parse_arguments(ARG "" "NAME;MODEL" "BATCHES;ARGS" ${ARGN})
  list(JOIN ARG_BATCHES "," batches)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.gen.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${EDGETRAIN_PLANNER_COMMAND} --model ${ARG_MODEL} --batch ${batches}
            --target ${EDGETRAIN_PLAN_TARGET} ${ARG_ARGS}
            --out "${out}" --json "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.gen.json"
    DEPENDS ${EDGETRAIN_PLANNER_DEPENDS}
    COMMENT "Planning ${ARG_MODEL} for batch ${batches}"
    VERBATIM)
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
