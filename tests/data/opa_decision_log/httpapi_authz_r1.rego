# The policy the decisions in httpapi_authz.jsonl were made under (bundle revision r1):
# everyone may read, admins may also write.
package httpapi.authz

default allow := false

allow if input.method == "GET"

allow if "admin" in input.roles
