#!/bin/sh
# Stands in for the OPA CLI where none is installed: `opa eval ...` runs `oep rego eval ...`
# (the native engine behind OPA's command line), behaving as the OPA version it claims:
#   OEP_SHIM_TARGET       the oep binary (required)
#   OEP_SHIM_OPA_VERSION  the version to behave as (default 1.4.2)
#   OEP_SHIM_ARGV_LOG     a file to which each invocation's arguments are appended, one line each
# As OPA does:
#   `opa version` prints OPA's lines (Version:, Build Commit:, ..., and Rego Version: on 1.x);
#   1.x reads Rego v1, or v0 with --v0-compatible; --v1-compatible is accepted (already v1);
#   0.x reads Rego v0, or v1 with --v1-compatible (a flag from 0.60.0 on); 0.x has no
#   --v0-compatible (OPA 0.61 says "unknown flag"), 0.x before 0.60 no --v1-compatible;
#   in v0 the query has no `in` keyword (without `import future.keywords.in`), so a query
#   with `some ... in` is a parse error.
version=${OEP_SHIM_OPA_VERSION:-1.4.2}
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ -n "$OEP_SHIM_ARGV_LOG" ]; then
  printf '%s\n' "$*" >>"$OEP_SHIM_ARGV_LOG"
fi

unknown_flag() {
  printf 'Error: unknown flag: %s\n' "$1" >&2
  exit 1
}

case "$1" in
version)
  printf 'Version: %s\nBuild Commit: \nBuild Timestamp: \nBuild Hostname: \nGo Version: go1.22.0\nPlatform: linux/amd64\n' "$version"
  if [ "$major" -ge 1 ]; then echo "Rego Version: v1"; fi
  echo "WebAssembly: unavailable"
  exit 0
  ;;
eval) shift ;;
*) exec "$OEP_SHIM_TARGET" rego "$@" ;;
esac

v0=
if [ "$major" -lt 1 ]; then v0=yes; fi
n=$#
while [ "$n" -gt 0 ]; do
  arg=$1
  shift
  n=$((n - 1))
  case "$arg" in
  --v0-compatible)
    if [ "$major" -lt 1 ]; then unknown_flag "$arg"; fi
    v0=yes
    ;;
  --v1-compatible)
    if [ "$major" -lt 1 ] && [ "$minor" -lt 60 ]; then unknown_flag "$arg"; fi
    if [ "$major" -lt 1 ]; then v0=; fi
    ;;
  *) set -- "$@" "$arg" ;;
  esac
done

if [ -n "$v0" ]; then
  for query; do :; done
  case "$query" in
  *"some "*" in "*)
    echo '{"errors":[{"code":"rego_parse_error","message":"unexpected some keyword: Rego v0 has no `in` without import future.keywords.in","location":{"file":"","row":1,"col":1}}]}'
    exit 2
    ;;
  esac
  exec "$OEP_SHIM_TARGET" rego eval --v0-compatible "$@"
fi
exec "$OEP_SHIM_TARGET" rego eval "$@"
