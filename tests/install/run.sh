#!/usr/bin/env bash
# Installs the built dualjac into a temporary prefix, then builds and runs a
# consumer outside the tree twice: with CMake (find_package, shared and
# static) and with pkg-config.  usage: run.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$here" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
"$tmp/consumer/consumer_shared"
"$tmp/consumer/consumer_static"
libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -n1)
export PKG_CONFIG_PATH="$libdir"
cc -std=c11 -O2 "$here/consumer.c" -o "$tmp/consumer_pc" $(pkg-config --cflags --libs dualjac)
LD_LIBRARY_PATH="$(dirname "$libdir")" "$tmp/consumer_pc"
cc -std=c11 -O2 "$here/consumer.c" -o "$tmp/consumer_pc_static" $(pkg-config --static --cflags dualjac) \
   "$(dirname "$libdir")/libdualjac.a" $(pkg-config --static --libs-only-l dualjac | sed 's/-ldualjac//')
"$tmp/consumer_pc_static"
echo "install: OK"
