// The dashboard `oep serve` serves: the web/ files embedded in the binary, sign-in with an
// API key exchanged for a session cookie, CSRF checks and the security headers.
#pragma once

#include <string>

#include <httplib.h>

#include "server/api.h"

namespace oep::web {

// Registers GET / and /web/* (the embedded files), POST /web/session (sign in: {"api_key"}
// → HttpOnly SameSite=Strict cookie, Secure under TLS, and a CSRF token), GET /web/session,
// POST /web/session:delete (sign out), GET /v1/decisions/{id}/markdown; sets the security
// headers (strict CSP, nosniff, frame-ancestors 'none') on every response.
void AddWebRoutes(httplib::Server& http, server::Context& ctx);

// The API key of the request's session cookie, or "" without a (live) session. A session
// request other than GET/HEAD must carry the session's X-CSRF-Token; when it does not,
// `refusal` says why (the key is still returned: the refusal belongs in its tenant's audit
// log, and the request must be refused).
std::string SessionKey(const httplib::Request& req, std::string* refusal);

}  // namespace oep::web
