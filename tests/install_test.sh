#!/bin/sh
# Installs into a temporary prefix, then builds the README example against
# the installed copy with nothing but cc and pkg-config, and runs it. Also
# checks a DESTDIR staging install lays out the same files.
# usage: install_test.sh MAKE BUILD_DIR
set -eu
make=$1
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

$make --no-print-directory -s install BUILD="$build" PREFIX="$prefix" > "$tmp/install.log"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
version=$(pkg-config --modversion cnnarch)
header_version=$(sed -n 's/^#define CNA_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' \
  include/cnnarch.h | paste -sd.)
if [ "$version" != "$header_version" ]; then
  echo "install: cnnarch.pc says $version, the header $header_version"; exit 1
fi
cp examples/hello.c "$tmp/app.c"
(cd "$tmp" && cc app.c $(pkg-config --cflags --libs cnnarch) -o app)
out=$(LD_LIBRARY_PATH="$prefix/lib" "$tmp/app")
case "$out" in
  *"resnet18"*"1000 class scores"*) ;;
  *) echo "install: unexpected output from the installed example:"; echo "$out"; exit 1 ;;
esac
# The program really used the installed library.
LD_LIBRARY_PATH="$prefix/lib" ldd "$tmp/app" | grep -q "$prefix/lib/libcnnarch.so" || {
  echo "install: the example did not load $prefix/lib/libcnnarch.so"; exit 1; }

$make --no-print-directory -s install BUILD="$build" PREFIX=/usr/local DESTDIR="$tmp/stage" \
  > "$tmp/stage.log"
for f in include/cnnarch.h lib/libcnnarch.so lib/libcnnarch.so.0 lib/libcnnarch.a \
         lib/pkgconfig/cnnarch.pc share/cnnarch/labels/imagenet1k.txt; do
  [ -e "$tmp/stage/usr/local/$f" ] || { echo "install: DESTDIR lacks $f"; exit 1; }
done
grep -q '^prefix=/usr/local$' "$tmp/stage/usr/local/lib/pkgconfig/cnnarch.pc" || {
  echo "install: staged cnnarch.pc does not point at /usr/local"; exit 1; }
echo "install: built and ran the example against $version installed with pkg-config"
