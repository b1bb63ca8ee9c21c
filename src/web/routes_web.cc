#include <chrono>
#include <string_view>

#include "json/json.h"
#include "replay/decision_chain.h"
#include "replay/replay.h"
#include "schema/embedded_files.h"
#include "web/sessions.h"
#include "web/web.h"

namespace oep::web {
namespace {

constexpr const char* kCookie = "oep_session";

// The value of cookie `name` in the request's Cookie header, or "".
std::string CookieValue(const httplib::Request& req, const std::string& name) {
  std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string ContentType(std::string_view path) {
  auto ends = [&](std::string_view s) { return path.size() >= s.size() && path.substr(path.size() - s.size()) == s; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

void SendJson(httplib::Response& res, const server::Reply& reply) {
  res.status = reply.status;
  res.set_content(reply.body, reply.content_type);
}

server::Reply Refused(int status, const char* code, const std::string& message) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value err(rapidjson::kObjectType);
  err.AddMember("code", rapidjson::StringRef(code), a);
  err.AddMember("message", server::Str(message, a), a);
  doc.AddMember("error", err, a);
  return server::JsonReply(status, doc);
}

server::Reply SessionReply(const ApiKeyRecord& key, const std::string& csrf) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("tenant", server::Str(key.tenant, a), a);
  doc.AddMember("role", server::Str(key.role, a), a);
  doc.AddMember("key_id", server::Str(key.key_id, a), a);
  doc.AddMember("csrf_token", server::Str(csrf, a), a);
  return server::JsonReply(200, doc);
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The key of `api_key` when it authenticates (under the context's lock).
Result<ApiKeyRecord> KeyOf(server::Context& ctx, const std::string& api_key) {
  std::lock_guard<std::mutex> lock(ctx.mutex);
  ctx.store->ReleaseReadSnapshot();
  return Authenticate(*ctx.store, api_key);
}

// The valid key of the request's session (under the context's lock).
Result<ApiKeyRecord> SessionKeyOf(server::Context& ctx, const Session& session) {
  std::lock_guard<std::mutex> lock(ctx.mutex);
  ctx.store->ReleaseReadSnapshot();
  return AuthenticateSession(*ctx.store, session);
}

void SignIn(server::Context& ctx, const httplib::Request& req, httplib::Response& res) {
  // A JSON content type cannot be sent cross-origin without a preflight, which is refused:
  // no login CSRF from a plain form.
  if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
    return SendJson(res, Refused(415, "unsupported_media_type", "Content-Type: expected application/json"));
  }
  auto body = json::Parse(req.body);
  if (!body.ok()) return SendJson(res, server::ErrorReply(Status::InvalidArgument("request body is not JSON: " + body.status().message())));
  if (Status s = server::OnlyMembers(*body, {"api_key"}); !s.ok()) return SendJson(res, server::ErrorReply(s));
  if (!body->HasMember("api_key") || !(*body)["api_key"].IsString()) {
    return SendJson(res, server::ErrorReply(Status::InvalidArgument("/api_key: expected a string (an API key)")));
  }
  std::string api_key = (*body)["api_key"].GetString();
  auto key = KeyOf(ctx, api_key);
  if (!key.ok()) {
    std::lock_guard<std::mutex> lock(ctx.mutex);
    server::AuditAnonymousRefusal(ctx, req, "anonymous", "unknown or revoked API key", "sign-in: " + key.status().message());
    return SendJson(res, Refused(401, "unauthenticated", "unknown or revoked API key"));
  }
  int64_t now = NowSeconds();
  auto value = IssueSession(*key, now);
  if (!value.ok()) return SendJson(res, server::ErrorReply(value.status()));
  auto session = ParseSession(*value, now);
  if (!session) return SendJson(res, Refused(500, "internal", "the new session does not verify"));
  std::string cookie = std::string(kCookie) + "=" + *value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800";
  if (!ctx.options.tls_cert.empty()) cookie += "; Secure";
  res.set_header("Set-Cookie", cookie);
  SendJson(res, SessionReply(*key, session->csrf_token));
}

void SessionInfo(server::Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto session = ParseSession(CookieValue(req, kCookie), NowSeconds());
  if (!session) return SendJson(res, Refused(401, "unauthenticated", "not signed in"));
  auto key = SessionKeyOf(ctx, *session);
  if (!key.ok()) return SendJson(res, Refused(401, "unauthenticated", "the session's API key is revoked"));
  SendJson(res, SessionReply(*key, session->csrf_token));
}

void SignOut(const httplib::Request& req, httplib::Response& res) {
  int64_t now = NowSeconds();
  auto session = ParseSession(CookieValue(req, kCookie), now);
  if (session && !SameSecret(req.get_header_value("X-CSRF-Token"), session->csrf_token)) {
    return SendJson(res, Refused(403, "forbidden", "X-CSRF-Token: expected the session's CSRF token"));
  }
  if (session) {
    if (Status s = EndSession(*session, now); !s.ok()) return SendJson(res, server::ErrorReply(s));
  }
  res.set_header("Set-Cookie", std::string(kCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  res.set_content("{\"signed_out\":true}", "application/json");
}

// The decision's incident view as `oep replay ID --output-format markdown` prints it: the
// same renderer, the chain classified with the keys the server trusts.
server::Reply DecisionMarkdown(const TrustedKeys& trusted, server::Call& call) {
  auto record = ReplayDecision(call.store, std::string(call.req.matches[1]));
  if (!record.ok()) return server::ErrorReply(record.status());
  IncidentViewOptions view;
  view.chain = ClassifyDecisionChain(call.store, *record, trusted);
  return {200, RenderReplayMarkdown(*record, view), "text/markdown; charset=utf-8"};
}

void ServeFile(const std::string& path, httplib::Response& res) {
  for (const auto& f : EmbeddedFiles()) {
    if (f.path == path) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(std::string(f.text), ContentType(path));
      return;
    }
  }
  res.status = 404;
  res.set_content(Refused(404, "not_found", "no such file: " + path).body, "application/json");
}

}  // namespace

std::optional<Session> SessionOf(const httplib::Request& req, std::string* refusal) {
  auto session = ParseSession(CookieValue(req, kCookie), NowSeconds());
  if (!session) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD" &&
      !SameSecret(req.get_header_value("X-CSRF-Token"), session->csrf_token)) {
    *refusal = "X-CSRF-Token: expected the session's CSRF token on a state-changing request";
  }
  return session;
}

Status AddWebRoutes(httplib::Server& http, server::Context& ctx) {
  // Beside a SQLite store; beside the server key for a PostgreSQL one (servers sharing a
  // database and a key directory then share sessions).
  std::string base = IsPostgresUrl(ctx.options.state_path) ? ctx.server_key_path : SqliteFilePath(ctx.options.state_path);
  if (base.size() > 4 && base.ends_with(".pem")) base.resize(base.size() - 4);
  OEP_RETURN_IF_ERROR(OpenSessions(base));
  http.set_default_headers({
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
  });
  http.Get("/", [](const httplib::Request&, httplib::Response& res) { ServeFile("web/index.html", res); });
  http.Get(R"(/web/([A-Za-z0-9_\-]+\.(js|css|svg)))",
           [](const httplib::Request& req, httplib::Response& res) { ServeFile("web/" + req.matches[1].str(), res); });
  http.Post("/web/session", [&ctx](const httplib::Request& req, httplib::Response& res) { SignIn(ctx, req, res); });
  http.Get("/web/session", [&ctx](const httplib::Request& req, httplib::Response& res) { SessionInfo(ctx, req, res); });
  http.Post("/web/session:delete", [](const httplib::Request& req, httplib::Response& res) { SignOut(req, res); });
  server::Route(http, ctx, "GET", R"(/v1/decisions/([^/:]+)/markdown)", Permission::kRead,
                [&ctx](server::Call& call) { return DecisionMarkdown(ctx.trusted, call); });
  return Status::Ok();
}

}  // namespace oep::web
