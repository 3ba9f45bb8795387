#!/bin/sh
# rank-dies.sh <seconds> <command...>: runs <command> as this MPI rank; rank 1 is killed with
# SIGKILL after <seconds> (kill -9 of one rank of a running job, for CMakeLists.txt's test).
after=$1
shift
if [ "${OMPI_COMM_WORLD_RANK:-0}" = 1 ]; then
  (sleep "$after"; kill -9 $$) &
fi
exec "$@"
