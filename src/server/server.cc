#include "server/server.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iostream>
#include <thread>

#include "audit/audit.h"
#include "json/json.h"
#include "keys/keys.h"
#include "schema/embedded_files.h"
#include "server/api.h"
#include "util/files.h"
#include "web/web.h"

namespace oep {
namespace server {
namespace {

// Workers of a fixed number; at most `max_queued` accepted connections wait for one, after
// which the accept loop itself waits (the kernel's backlog holds further clients).
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return jobs_.size() < max_queued_ || shutdown_; });
    jobs_.push_back(std::move(fn));
    not_empty_.notify_one();
  }
  // Runs every queued job, then joins the workers.
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutdown_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        not_empty_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        not_full_.notify_one();
      }
      fn();
    }
  }
  size_t max_queued_;
  std::vector<std::thread> threads_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
};

// What the access log line of the request on this thread says beyond the request itself.
struct RequestLog {
  std::chrono::steady_clock::time_point start;
  std::string tenant, key_id;
  size_t bytes_in = 0;
};
thread_local RequestLog request_log;

void AccessLog(const httplib::Request& req, const httplib::Response& res) {
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request_log.start).count();
  rapidjson::Document line(rapidjson::kObjectType);
  auto& a = line.GetAllocator();
  auto str = [&](const std::string& v) { return rapidjson::Value(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), a); };
  line.AddMember("ts", str(NowUtcMicros()), a);
  line.AddMember("method", str(req.method), a);
  line.AddMember("path", str(req.path), a);
  line.AddMember("status", res.status, a);
  line.AddMember("duration_ms", static_cast<int64_t>(ms * 1000) / 1000.0, a);
  line.AddMember("bytes_in", static_cast<uint64_t>(std::max(request_log.bytes_in, req.body.size())), a);
  line.AddMember("bytes_out", static_cast<uint64_t>(res.body.size()), a);
  line.AddMember("remote", str(req.remote_addr), a);
  if (!request_log.tenant.empty()) line.AddMember("tenant", str(request_log.tenant), a);
  if (!request_log.key_id.empty()) line.AddMember("key_id", str(request_log.key_id), a);
  std::string text = json::CanonicalText(line) + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void Send(httplib::Response& res, const Reply& reply) {
  res.status = reply.status;
  res.set_content(reply.body, reply.content_type);
}

Reply Error(int status, const char* code, const std::string& message) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value err(rapidjson::kObjectType);
  err.AddMember("code", rapidjson::StringRef(code), a);
  err.AddMember("message", rapidjson::Value(message.c_str(), a), a);
  doc.AddMember("error", err, a);
  return JsonReply(status, doc);
}

// Records a refused request in the audit log of `tenant` (the default tenant's when the
// caller is unknown). The caller holds the context's lock.
void AuditDenied(Context& ctx, const std::string& tenant, const std::string& actor, const httplib::Request& req,
                 const std::string& why) {
  ctx.store->ScopeToTenant(tenant);
  Status s = RecordAudit(*ctx.store, {actor, "request.denied", req.method + " " + req.path, why, ""});
  if (!s.ok()) std::cerr << "oep serve: cannot write the audit log: " << s.message() << "\n";
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void RecordRefusalSummary(Context& ctx, const RefusalSummary& s) {
  ctx.store->ScopeToTenant(std::string(kDefaultTenant));
  std::string addresses = std::to_string(s.addresses) + (s.more_addresses ? "+" : "") + (s.addresses == 1 ? " address" : " addresses");
  std::string detail = std::to_string(s.count) + " more refused requests (" + s.reason + ") from " + addresses + " between " +
                       FormatUtcMicros(s.first_us) + " and " + FormatUtcMicros(s.last_us) + " were not recorded one by one";
  Status st = RecordAudit(*ctx.store, {"anonymous", "request.denied.summary", std::to_string(s.count) + " requests", s.reason, detail});
  if (!st.ok()) std::cerr << "oep serve: cannot write the audit log: " << st.message() << "\n";
}

std::string BearerToken(const httplib::Request& req) {
  std::string h = req.get_header_value("Authorization");
  if (h.rfind("Bearer ", 0) != 0) return "";
  return h.substr(7);
}

// An error reply's text with the store's path or URL (as written and JSON-escaped) replaced:
// a client learns nothing about where the store is, whichever tenant it asks about.
std::string WithoutStorePath(std::string body, const std::string& path) {
  if (path.empty()) return body;
  std::string quoted = json::CanonicalText(rapidjson::Value(rapidjson::StringRef(path.c_str(), path.size())));
  const std::string instead = "your tenant's store";
  for (const std::string& p : {path, quoted.substr(1, quoted.size() - 2)}) {
    for (size_t at = body.find(p); at != std::string::npos; at = body.find(p, at + instead.size())) {
      body.replace(at, p.size(), instead);
    }
  }
  return body;
}

// Authenticates, checks the role, locks and scopes the store, and runs `handler`.
Reply Authorized(Context& ctx, const httplib::Request& req, Permission permission, const std::string& body,
                 const Handler& handler) {
  std::lock_guard<std::mutex> lock(ctx.mutex);
  ctx.store->ReleaseReadSnapshot();  // see what other processes (oep key create, ...) committed
  std::string token = BearerToken(req);
  std::string refusal;
  std::optional<web::Session> session;
  if (token.empty()) session = web::SessionOf(req, &refusal);  // the dashboard's session cookie
  auto authenticate = [&]() { return session ? web::AuthenticateSession(*ctx.store, *session) : Authenticate(*ctx.store, token); };
  if (!refusal.empty()) {  // audited in the session key's tenant, never another's
    auto key = authenticate();
    if (key.ok()) AuditDenied(ctx, key->tenant, "key:" + key->key_id + " (session)", req, refusal);
    else AuditAnonymousRefusal(ctx, req, "session", "unknown or revoked API key", refusal);
    return Error(403, "forbidden", refusal);
  }
  if (token.empty() && !session) {
    AuditAnonymousRefusal(ctx, req, "anonymous", "no API key", "no API key");
    return Error(401, "unauthenticated", "expected an API key: Authorization: Bearer <key> (see `oep key create`)");
  }
  auto key = authenticate();
  if (!key.ok()) {
    if (key.status().code() != StatusCode::kNotFound && key.status().code() != StatusCode::kConflict) {
      return ErrorReply(key.status());
    }
    AuditAnonymousRefusal(ctx, req, "anonymous", "unknown or revoked API key", key.status().message());
    return Error(401, "unauthenticated", "unknown or revoked API key");
  }
  request_log.tenant = key->tenant;
  request_log.key_id = key->key_id;
  if (!RoleAllows(key->role, permission)) {
    std::string why = "role " + key->role + " may not " + PermissionName(permission);
    AuditDenied(ctx, key->tenant, "key:" + key->key_id, req, why);
    return Error(403, "forbidden", why);
  }
  ctx.store->ScopeToTenant(key->tenant);
  Call call{req, *key, *ctx.store, body};
  Reply reply = handler(call);
  ctx.store->RollbackBatch();  // a handler that returned early leaves no open batch
  if (reply.status >= 400) reply.body = WithoutStorePath(reply.body, ctx.store->path());
  return reply;
}

}  // namespace

void AuditAnonymousRefusal(Context& ctx, const httplib::Request& req, const std::string& actor, const std::string& reason,
                           const std::string& message) {
  std::vector<RefusalSummary> due;
  bool individually = ctx.anonymous_refusals.Admit(reason, req.remote_addr, NowMicros(), &due);
  for (const auto& s : due) RecordRefusalSummary(ctx, s);
  if (individually) AuditDenied(ctx, std::string(kDefaultTenant), actor, req, message);
}

void FlushAnonymousRefusals(Context& ctx) {
  std::lock_guard<std::mutex> lock(ctx.mutex);
  for (const auto& s : ctx.anonymous_refusals.Drain()) RecordRefusalSummary(ctx, s);
}

Status OnlyMembers(const rapidjson::Value& body, std::initializer_list<std::string_view> names) {
  if (!body.IsObject()) return Status::InvalidArgument("/: expected an object");
  for (const auto& m : body.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string list;
      for (std::string_view n : names) list += (list.empty() ? "" : ", ") + std::string(n);
      return Status::InvalidArgument("/" + json::EscapePointerSegment(std::string(name)) + ": unknown member; expected only " +
                                     list);
    }
  }
  return Status::Ok();
}

rapidjson::Value Str(const std::string& v, rapidjson::Document::AllocatorType& a) {
  return rapidjson::Value(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), a);
}

Result<int> PageLimit(const httplib::Request& req) {
  if (!req.has_param("limit")) return 50;
  const std::string v = req.get_param_value("limit");
  bool digits = !v.empty() && v.size() <= 3;
  for (char c : v) digits = digits && c >= '0' && c <= '9';
  int n = digits ? std::stoi(v) : 0;
  if (n < 1 || n > 500) return Status::InvalidArgument("?limit: expected an integer from 1 to 500, found \"" + v + "\"");
  return n;
}

Reply JsonReply(int status, const rapidjson::Value& doc) { return {status, json::CanonicalText(doc)}; }

Reply ErrorReply(const Status& s) {
  int status = 500;
  const char* code = "internal";
  switch (s.code()) {
    case StatusCode::kInvalidArgument: status = 400, code = "invalid_argument"; break;
    case StatusCode::kNotFound: status = 404, code = "not_found"; break;
    case StatusCode::kConflict: status = 409, code = "conflict"; break;
    default: break;
  }
  Reply r = Error(status, code, s.message());
  // The JSON pointer a message starts with ("/steps/0/step: expected ..."), also after the
  // body's name ("body: /0/trace_id: ...").
  std::string msg = s.message();
  if (msg.rfind("body: ", 0) == 0) msg = msg.substr(6);
  size_t colon = msg.find(": ");
  if (!msg.empty() && msg[0] == '/' && colon != std::string::npos) {
    auto doc = json::Parse(r.body);
    if (doc.ok()) {
      std::string pointer = msg.substr(0, colon);
      (*doc)["error"].AddMember("pointer", rapidjson::Value(pointer.c_str(), doc->GetAllocator()), doc->GetAllocator());
      r.body = json::CanonicalText(*doc);
    }
  }
  return r;
}

Result<rapidjson::Document> ParseBody(const Call& call) {
  auto doc = json::Parse(call.body);
  if (!doc.ok()) return Status::InvalidArgument("request body is not JSON: " + doc.status().message());
  return doc;
}

void Route(httplib::Server& http, Context& ctx, const std::string& method, const std::string& pattern,
           Permission permission, Handler handler) {
  if (method == "GET") {
    http.Get(pattern, [&ctx, permission, handler](const httplib::Request& req, httplib::Response& res) {
      Send(res, Authorized(ctx, req, permission, req.body, handler));
    });
    return;
  }
  http.Post(pattern, [&ctx, permission, handler](const httplib::Request& req, httplib::Response& res,
                                                 const httplib::ContentReader& reader) {
    // The body is read (and decompressed by httplib per Content-Encoding) up to the limit.
    std::string body;
    bool too_large = false;
    size_t limit = ctx.options.max_body_bytes;
    bool read = reader([&](const char* data, size_t n) {
      if (body.size() + n > limit) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    request_log.bytes_in = body.size();
    if (too_large || (!read && res.status == 413)) {  // 413 from httplib: Content-Length past the limit
      Send(res, Error(413, "too_large", "request body: expected at most " + std::to_string(limit) +
                                            " bytes (after decompression); nothing was stored"));
      return;
    }
    if (!read) {
      Send(res, Error(400, "invalid_argument", "request body could not be read (truncated, timed out or badly encoded)"));
      return;
    }
    Send(res, Authorized(ctx, req, permission, body, handler));
  });
}

namespace {

void AddServiceRoutes(httplib::Server& http, Context& ctx, std::atomic<bool>& stopping) {
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  http.Get("/readyz", [&ctx, &stopping](const httplib::Request&, httplib::Response& res) {
    Status s;
    if (stopping) {
      s = Status::IOError("shutting down");
    } else {
      std::lock_guard<std::mutex> lock(ctx.mutex);
      auto next = ctx.store->NextLedgerEntryId();
      s = next.status();
    }
    if (s.ok()) {
      res.set_content("{\"status\":\"ready\"}", "application/json");
    } else {
      res.status = 503;
      res.set_content(Error(503, "unavailable", s.message()).body, "application/json");
    }
  });
  http.Get("/v1/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    for (const auto& f : EmbeddedFiles()) {
      if (f.path == "src/server/openapi.v1.json") res.set_content(std::string(f.text), "application/json");
    }
  });
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string msg = res.status == 404 ? "no such endpoint: " + req.method + " " + req.path : "request refused";
    if (res.status == 413) msg = "request body too large; nothing was stored";
    res.set_content(Error(res.status, res.status == 404 ? "not_found" : "http_error", msg).body, "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(Error(500, "internal", "internal error").body, "application/json");
  });
}

Result<std::string> ServerKey(const ServerOptions& o) {
  auto path = ResolveStoreKey(o.server_key, SqliteFilePath(o.state_path), kServerKeyFile, "oep serve");
  if (!path.ok()) return path.status();
  auto id = KeyIdOfFile(*path);
  if (!id.ok()) return id.status().WithContext("--server-key " + *path);
  std::cerr << "oep serve: runs are sealed with server key " << *id << " (" << *path << ")\n";
  return path;
}

}  // namespace
}  // namespace server

Status RunServer(const ServerOptions& o) {
  using namespace server;
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key: expected both or neither");
  }
  Context ctx;
  ctx.options = o;
  if (!o.monitors.empty()) {
    auto monitors = TenantMonitors::Load(o.monitors);
    if (!monitors.ok()) return monitors.status().WithContext("--monitor");
    ctx.monitors = std::move(*monitors);
  }
  auto store = Store::Open(o.state_path, Store::Mode::kReadWrite);
  if (!store.ok()) return store.status();
  ctx.store = std::move(*store);
  auto key = ServerKey(o);
  if (!key.ok()) return key.status();
  ctx.server_key_path = *key;
  auto trusted = TrustedKeys::Load(o.trusted_keys, o.trusted_keys_file);
  if (!trusted.ok()) return trusted.status();
  OEP_RETURN_IF_ERROR(trusted->TrustOwnKey("server", *key));
  ctx.trusted = std::move(*trusted);
  if (!o.redaction_profile.empty()) {
    auto text = ReadFile(o.redaction_profile);
    if (!text.ok()) return text.status().WithContext("--redaction-profile");
    auto profile = ParseRedactionProfile(*text, o.redaction_profile);
    if (!profile.ok()) return profile.status();
    ctx.redaction = std::move(*profile);
  }

  std::unique_ptr<httplib::Server> http;
  if (!o.tls_cert.empty()) {
    auto tls = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!tls->is_valid()) {
      return Status::InvalidArgument("--tls-cert " + o.tls_cert + " / --tls-key " + o.tls_key +
                                     ": cannot load the certificate and its private key (PEM)");
    }
    http = std::move(tls);
  } else {
    http = std::make_unique<httplib::Server>();
  }
  // Signals are taken by one thread (sigwait); every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  OEP_RETURN_IF_ERROR(StartWebhooks(ctx));  // its thread blocks the signals too

  size_t threads = static_cast<size_t>(std::max(1, o.threads)), queued = std::max<size_t>(1, o.max_queued);
  http->new_task_queue = [threads, queued] { return new BoundedPool(threads, queued); };
  http->set_payload_max_length(o.max_body_bytes);
  http->set_read_timeout(o.read_timeout_seconds, 0);
  http->set_write_timeout(o.write_timeout_seconds, 0);
  http->set_keep_alive_timeout(5);
  http->set_keep_alive_max_count(1000);
  http->set_tcp_nodelay(true);  // no 40 ms Nagle / delayed-ACK stall between a response's writes
  http->set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_log = RequestLog{std::chrono::steady_clock::now(), "", "", 0};
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http->set_logger(AccessLog);
  std::atomic<bool> stopping{false};
  AddServiceRoutes(*http, ctx, stopping);
  AddRunRoutes(*http, ctx);
  AddEvidenceRoutes(*http, ctx);
  AddPolicyRoutes(*http, ctx);
  AddDiffRoutes(*http, ctx);
  AddApprovalRoutes(*http, ctx);
  AddSdkRoutes(*http, ctx);
  AddOtlpRoutes(*http, ctx);
  AddExportRoutes(*http, ctx);
  AddViolationRoutes(*http, ctx);
  OEP_RETURN_IF_ERROR(web::AddWebRoutes(*http, ctx));

  int port = o.port;
  if (port == 0) {
    port = http->bind_to_any_port(o.host);
    if (port <= 0) return Status::IOError("cannot listen on " + o.host + " (any port)");
  } else if (!http->bind_to_port(o.host, port)) {
    return Status::IOError("cannot listen on " + o.host + ":" + std::to_string(port));
  }
  if (!o.port_file.empty()) OEP_RETURN_IF_ERROR(WriteFileAtomic(o.port_file, std::to_string(port) + "\n"));
  std::cerr << "oep serve: listening on " << (o.tls_cert.empty() ? "http" : "https") << "://" << o.host << ":" << port
            << " (store " << o.state_path << ")\n";
  StartRetentionSchedule(ctx);

  std::atomic<bool> listen_returned{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    stopping = true;
    // A signal that came before the accept loop started waits for it (stop() ends a running loop only).
    while (!http->is_running() && !listen_returned) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!listen_returned) std::cerr << "oep serve: signal " << sig << ": finishing requests in flight\n";
    http->stop();
  });
  bool listened = http->listen_after_bind();
  listen_returned = true;
  if (!stopping) pthread_kill(waiter.native_handle(), SIGTERM);  // ends the waiter
  waiter.join();
  FlushAnonymousRefusals(ctx);
  StopRetentionSchedule(ctx);
  StopWebhooks(ctx);  // before the store: its last log lines are stored
  ctx.store.reset();
  std::cerr << "oep serve: stopped; store closed\n";
  return listened || stopping ? Status::Ok() : Status::IOError("the server stopped unexpectedly");
}

}  // namespace oep
