#!/bin/sh
# Build-time only (removed at the end of the same RUN): package scripts must not start services.
exit 101
