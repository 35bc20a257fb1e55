#!/bin/sh
# The examples (and the fault-injection programs) under valgrind memcheck:
# any invalid read or write, use of uninitialized memory, or leaked block
# fails. Not in CI (tens of seconds to minutes); `make valgrind`.
# usage: valgrind_test.sh BUILD
set -eu
build=$1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run() {
  if valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
      --show-leak-kinds=definite,indirect,possible \
      --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes -q \
      "$@" > /dev/null 2> "$log"; then
    echo "valgrind: clean: ${CNNARCH_ISA:+CNNARCH_ISA=$CNNARCH_ISA }$*"
  else
    echo "valgrind: FAILED: ${CNNARCH_ISA:+CNNARCH_ISA=$CNNARCH_ISA }$*"; cat "$log"; status=1
  fi
}
run "$build/examples/hello"
CNNARCH_ISA=scalar run "$build/examples/hello"
run "$build/examples/custom"
run "$build/examples/summary" resnet50
run "$build/examples/summary" --json googlenet
run "$build/examples/summary" --list
run "$build/examples/demo" lenet5 nin squeezenet1_1 resnet56
run "$build/tests/fault/save_fault_test"
run "$build/tests/fault/alloc_fail_test"
exit $status
