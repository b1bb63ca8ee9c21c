// The dashboard `oep serve` serves: the web/ files embedded in the binary, sign-in with an
// API key exchanged for a signed session cookie that survives a restart (web/sessions.h),
// CSRF checks and the security headers.
#pragma once

#include <optional>
#include <string>

#include <httplib.h>

#include "server/api.h"
#include "web/sessions.h"

namespace oep::web {

// Registers GET / and /web/* (the embedded files), POST /web/session (sign in: {"api_key"}
// → HttpOnly SameSite=Strict cookie, Secure under TLS, and a CSRF token), GET /web/session,
// POST /web/session:delete (sign out), GET /v1/decisions/{id}/markdown; sets the security
// headers (strict CSP, nosniff, frame-ancestors 'none') on every response.
// Opens the sessions (see web/sessions.h: the secret beside the state is made on the first
// start) and registers the routes; IOError naming the secret file when it cannot.
Status AddWebRoutes(httplib::Server& http, server::Context& ctx);

// The request's session (its cookie verified, not expired, not signed out), or nullopt.
// A session request other than GET/HEAD must carry the session's X-CSRF-Token; when it
// does not, `refusal` says why (the session is still returned: the refusal belongs in its
// key's tenant's audit log, and the request must be refused).
std::optional<Session> SessionOf(const httplib::Request& req, std::string* refusal);

}  // namespace oep::web
