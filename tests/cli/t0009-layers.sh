#!/bin/sh
# scripts/check-layers: this tree passes; an include that goes up a layer,
# one provider including another, an include circle and a module in no
# layer each fail, naming the file.
. "$(dirname "$0")/lib.sh"

check=$top/scripts/check-layers
expect_exit 0 "this tree's imports follow the layers" -- "$check" "$top"

# a copy of src/ and include/ to break
copy() {
	rm -rf "$tmp/tree"
	mkdir -p "$tmp/tree/src" "$tmp/tree/include/labctl"
	cp "$top"/src/*.c "$tmp/tree/src/"
	cp "$top"/include/labctl/*.h "$tmp/tree/include/labctl/"
}

copy
sed -i '1i #include "labctl/lab.h"' "$tmp/tree/src/engine.c"
expect_exit 1 "an include up a layer fails" -- "$check" "$tmp/tree"
has "it names the file and both layers" "src/engine.c (layer 3) includes labctl/lab.h (layer 4): imports go down" "$tmp/out"

copy
sed -i '1i #include "labctl/provider_vagrant.h"' "$tmp/tree/src/provider_libvirt.c"
expect_exit 1 "a provider including another fails" -- "$check" "$tmp/tree"
has "it says so" "src/provider_libvirt.c includes labctl/provider_vagrant.h: providers do not include each other" "$tmp/out"

copy
sed -i '1i #include "labctl/plan.h"' "$tmp/tree/src/spec.c"
expect_exit 1 "an include circle fails" -- "$check" "$tmp/tree"
has "it says so" "an include circle" "$tmp/out"

copy
: >"$tmp/tree/src/newthing.c"
expect_exit 1 "a module in no layer fails" -- "$check" "$tmp/tree"
has "it says where to add it" "src/newthing.c: module 'newthing' is in no layer (add it to scripts/check-layers and docs/architecture.md)" "$tmp/out"

finish
