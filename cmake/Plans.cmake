# Plans are generated at build time by the host planner and compiled into device binaries.
# The pi3 build cannot run its own planner natively, so it uses the host build's.
if(CMAKE_CROSSCOMPILING)
  set(EDGETRAIN_HOST_PLANNER "${CMAKE_SOURCE_DIR}/build/host/planner/plan" CACHE FILEPATH
      "The host build of the planner CLI")
  if(NOT EXISTS "${EDGETRAIN_HOST_PLANNER}")
    message(FATAL_ERROR "The pi3 build needs the host planner at ${EDGETRAIN_HOST_PLANNER}: "
      "run `cmake --preset host && cmake --build --preset host --target plan` first, "
      "or pass -DEDGETRAIN_HOST_PLANNER=<path>.")
  endif()
  set(EDGETRAIN_PLANNER_COMMAND "${EDGETRAIN_HOST_PLANNER}")
  set(EDGETRAIN_PLAN_TARGET pi3)  # which device the plans' peak-RSS prediction is for
  set(EDGETRAIN_PLANNER_DEPENDS "${EDGETRAIN_HOST_PLANNER}")
else()
  set(EDGETRAIN_PLANNER_COMMAND $<TARGET_FILE:plan>)
  set(EDGETRAIN_PLAN_TARGET host)
  set(EDGETRAIN_PLANNER_DEPENDS plan)
endif()

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
