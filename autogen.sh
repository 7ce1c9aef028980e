#!/bin/sh
# Generates configure and the Makefile templates from a git checkout.
exec autoreconf --force --install --verbose "$(dirname "$0")"
