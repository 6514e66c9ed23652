#!/usr/bin/env bash
# tools/run.sh - set up, build and run dualjac on a fresh Debian machine.
#
#   bash tools/run.sh bench [dualjac-bench options]   the benchmark (--quick by default)
#   bash tools/run.sh test                             the test suite (CTest)
#   DJ_PEERS=1 bash tools/run.sh bench                 also install the peers the
#                                                      benchmark compares with (ADOL-C,
#                                                      Ceres: libadolc-dev libceres-dev)
#
# Installs the Debian packages it needs when they are missing (as root, or
# through sudo), configures with CMake into build/ (the benchmark:
# build-native/), builds, then runs. The benchmark times ADOL-C and Ceres Jet
# whenever they are installed; DJ_PEERS=1 only asks this script to install
# them (opt-in: they are large, and dualjac does not need them).
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-}
[ $# -gt 0 ] && shift
case "$what" in
  bench|test) ;;
  *) echo "usage: bash tools/run.sh bench|test [options]" >&2; exit 2 ;;
esac

packages="build-essential cmake pkg-config libopenblas-dev liblapacke-dev libcunit1-dev"
if [ "$what" = bench ] && [ "${DJ_PEERS:-0}" = 1 ]; then
  packages="$packages g++ libadolc-dev libceres-dev"
fi
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "tools/run.sh: installing Debian packages:$missing"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  else
    echo "tools/run.sh: please install:$missing (apt-get install, as root)" >&2
    exit 1
  fi
fi

jobs=$(nproc 2>/dev/null || echo 2)
case "$what" in
  bench)
    # the benchmark is built for this CPU (-march=native: DJ_NATIVE=ON) in
    # build-native/; single-threaded BLAS unless asked otherwise; --quick
    # unless options are given
    cmake -S . -B build-native -DCMAKE_BUILD_TYPE=Release -DDJ_NATIVE=ON \
          -DDJ_BUILD_TESTS=OFF ${DJ_CMAKE_ARGS:-}
    cmake --build build-native -j "$jobs" --target dualjac-bench
    export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
    if [ $# -eq 0 ]; then set -- --quick; fi
    exec ./build-native/dualjac-bench "$@"
    ;;
  test)
    # portable flags (no -march): the tests must pass on any x86-64
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${DJ_CMAKE_ARGS:-}
    cmake --build build -j "$jobs"
    exec ctest --test-dir build --output-on-failure
    ;;
esac
