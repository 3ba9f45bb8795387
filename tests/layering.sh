#!/usr/bin/env bash
# layering.sh SOURCE-DIR: the dependency rules of docs/ARCHITECTURE.md, checked on the #includes
# (and on planner/CMakeLists.txt's stage dependencies). Prints every violation, exits 1 on any.
#   kernels/           include only kernels' own headers
#   runtime/contract/  includes only the contract
#   runtime/           includes the runtime, the contract and kernels, never the planner
#   runtime/include/   the public API (edgetrain/*.h): includes only itself
#   planner/<stage>/   includes its own stage, earlier stages (util graph import cost memory
#                      checkpoint emit) and the contract; only plan_main.cc sees every stage
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root"
stages=(util graph import cost memory checkpoint emit)
contract=$(cd runtime/contract && ls *.h | tr '\n' ' ')
bad=0
fail() { echo "layering: $1"; bad=1; }

quoted() { grep -o '^#include "[^"]*"' "$1" | sed 's/#include "\(.*\)"/\1/' || true; }
is_contract() { [[ " $contract " == *" $1 "* ]]; }

while IFS= read -r f; do
  for inc in $(quoted "$f"); do
    [[ $inc == kernels/* || -e "$(dirname "$f")/$inc" ]] || fail "$f includes \"$inc\" (kernels include only kernels' headers)"
  done
done < <(find kernels -name '*.cc' -o -name '*.h')

while IFS= read -r f; do
  for inc in $(quoted "$f"); do
    is_contract "$inc" || fail "$f includes \"$inc\" (the contract includes only itself)"
  done
done < <(find runtime/contract -name '*.h')

while IFS= read -r f; do
  for inc in $(quoted "$f"); do
    stage=${inc%%/*}
    [[ $inc == */* && " ${stages[*]} " == *" $stage "* && ! -e runtime/$inc ]] &&
      fail "$f includes the planner's \"$inc\" (the runtime never includes the planner)"
    [[ $inc == kernels/* || -e runtime/$inc || -e runtime/include/$inc || -e "$(dirname "$f")/$inc" ]] ||
      is_contract "$inc" ||
      fail "$f includes \"$inc\", which is not a runtime, contract or kernels header"
  done
done < <(find runtime -path runtime/contract -prune -o \( -name '*.cc' -o -name '*.h' \) -print)

while IFS= read -r f; do
  for inc in $(quoted "$f"); do
    [[ $inc == edgetrain/* && -e runtime/include/$inc ]] || fail "$f includes \"$inc\" (the public API includes only itself)"
  done
done < <(find runtime/include -name '*.h')

rank() {  # rank STAGE: its place in the order, or -1
  local i
  for i in "${!stages[@]}"; do [[ ${stages[$i]} == "$1" ]] && { echo "$i"; return; }; done
  echo -1
}
for s in "${stages[@]}"; do
  [[ -d planner/$s ]] || fail "planner/$s: no such stage folder"
  mine=$(rank "$s")
  while IFS= read -r f; do
    for inc in $(quoted "$f"); do
      if is_contract "$inc"; then continue; fi
      other=$(rank "${inc%%/*}")
      if [[ $inc != */* || $other -lt 0 ]]; then
        fail "$f includes \"$inc\" (a stage includes stages and the contract only)"
      elif (( other > mine )); then
        fail "$f includes \"$inc\": stage ${inc%%/*} comes after $s"
      fi
    done
  done < <(find "planner/$s" -name '*.cc' -o -name '*.h')
done

# planner/CMakeLists.txt: a stage's DEPENDS name only earlier stages.
current=""
while IFS= read -r line; do
  [[ $line =~ ^edgetrain_planner_stage\(([a-z]+) ]] && current=${BASH_REMATCH[1]}
  [[ $current == onnx ]] && current=import  # the ONNX half of the import stage
  for dep in $(grep -o 'edgetrain_planner_[a-z]*' <<< "$line" | sed 's/edgetrain_planner_//'); do
    [[ $line == *edgetrain_planner_stage\(* && $line != *DEPENDS* ]] && continue
    [[ $dep == onnx ]] && dep=import
    [[ -n $current && $dep != "$current" ]] || continue
    (( $(rank "$dep") < $(rank "$current") )) || fail "planner/CMakeLists.txt: stage $current depends on $dep, which does not come before it"
  done
  [[ $line == *')'* ]] && current=""
done < planner/CMakeLists.txt

(( bad == 0 )) && echo "layering: ok (kernels, contract, runtime, its API, ${#stages[@]} planner stages)"
exit "$bad"
