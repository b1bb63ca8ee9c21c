#!/bin/sh
# Stands in for the OPA CLI where none is installed: `opa eval ...` runs
# `oep rego eval ...` (the native engine behind OPA's command line). Tests set
# OEP_SHIM_TARGET to the oep binary.
exec "$OEP_SHIM_TARGET" rego "$@"
