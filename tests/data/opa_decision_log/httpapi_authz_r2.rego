# A candidate change: only admins, for reads too.
package httpapi.authz

default allow := false

allow if "admin" in input.roles
