#!/bin/sh
# werker-test: never start services while packages are installed in an image
# build (e.g. postgresql's postinst); the container's entrypoint starts them.
exit 101
