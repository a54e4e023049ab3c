#!/usr/bin/env bash
# make lint / make sanity: ansible-test sanity on a copy of the tree (see tools/ansible-test.sh).
exec "$(dirname "$0")/ansible-test.sh" sanity "$@"
