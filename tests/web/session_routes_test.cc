// The dashboard's session routes over real loopback HTTP (and HTTPS): sign-in input errors,
// the cookie's attributes, CSRF refusals audited in the session's own tenant, and the run
// and decision views classified with the keys the server trusts.
#include <catch2/catch.hpp>

#include <filesystem>

#include <httplib.h>

#include "json/json.h"
#include "server/server_fixture.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "0123456789abcdef0123456789abcdef";

struct Reply {
  int status = 0;
  std::string body, cookie;
};

Reply Send(httplib::ClientImpl& c, const std::string& method, const std::string& path, const std::string& body,
           const std::string& content_type, const httplib::Headers& headers = {}) {
  auto r = method == "GET" ? c.Get(path.c_str(), headers) : c.Post(path.c_str(), headers, body, content_type.c_str());
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  out.cookie = r->get_header_value("Set-Cookie");
  return out;
}

// "oep_session=ID" of a Set-Cookie header.
std::string CookiePair(const std::string& set_cookie) { return set_cookie.substr(0, set_cookie.find(';')); }

int DeniedAudits(TestServer& server, const std::string& admin, const std::string& why) {
  HttpResult audit = server.Get("/v1/audit", admin);
  REQUIRE(audit.status == 200);
  int n = 0;
  for (const auto& r : audit.json["records"].GetArray()) {
    if (json::GetString(r, "action") == "request.denied" && json::GetString(r, "outcome").find(why) != std::string::npos) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("web sign-in refuses bad input with a clear error and stores nothing", "[web][session]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string admin = MakeKey(state, "acme", "admin");
  TestServer server(state, dir.path());
  std::string before = StoreDigest(state);
  httplib::ClientImpl c("127.0.0.1", server.port());
  struct Case {
    std::string body, content_type;
    int status;
    std::string message;
  };
  for (const Case& k : std::vector<Case>{
           {"{\"api_key\":\"" + admin + "\"}", "text/plain", 415, "Content-Type: expected application/json"},
           {"{\"api_key\":", "application/json", 400, "request body is not JSON"},
           {"[1]", "application/json", 400, "/: expected an object"},
           {"{\"api_key\":\"" + admin + "\",\"x\":1}", "application/json", 400, "/x: unknown member"},
           {"{\"api_key\":7}", "application/json", 400, "/api_key: expected a string"},
           {"{}", "application/json", 400, "/api_key: expected a string"},
       }) {
    Reply r = Send(c, "POST", "/web/session", k.body, k.content_type);
    INFO(k.body << " -> " << r.status << " " << r.body);
    CHECK(r.status == k.status);
    CHECK_THAT(r.body, Catch::Contains(k.message));
    CHECK(r.cookie.empty());
  }
  CHECK(StoreDigest(state) == before);
  Reply none = Send(c, "GET", "/web/session", "", "");
  CHECK(none.status == 401);
  // An unknown key is refused and, as every refused credential, audited in the default tenant.
  Reply unknown = Send(c, "POST", "/web/session", "{\"api_key\":\"oepk_0000000000000000_00\"}", "application/json");
  CHECK(unknown.status == 401);
  CHECK_THAT(unknown.body, Catch::Contains("unknown or revoked API key"));
  CHECK(unknown.cookie.empty());
  std::string default_admin = MakeKey(state, "default", "admin");
  CHECK(DeniedAudits(server, default_admin, "sign-in: unknown API key") == 1);
}

TEST_CASE("a web session cookie is HttpOnly and SameSite=Strict, Secure only under TLS", "[web][session]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string admin = MakeKey(state, "acme", "admin");
  {
    TestServer server(state, dir.path());
    httplib::ClientImpl c("127.0.0.1", server.port());
    Reply r = Send(c, "POST", "/web/session", "{\"api_key\":\"" + admin + "\"}", "application/json");
    REQUIRE(r.status == 200);
    CHECK_THAT(r.cookie, Catch::Contains("HttpOnly") && Catch::Contains("SameSite=Strict"));
    CHECK_THAT(r.cookie, !Catch::Contains("Secure"));
    CHECK_THAT(r.body, !Catch::Contains(admin));  // the key never comes back
  }
  std::filesystem::create_directories(dir / "tls");
  MakeTlsFiles(dir / "tls");
  TestServer tls_server(state, dir.path(), {}, dir / "tls");
  httplib::SSLClient c("127.0.0.1", tls_server.port());
  c.set_ca_cert_path((dir / "tls/cert.pem").c_str());
  c.enable_server_certificate_verification(true);
  Reply r = Send(c, "POST", "/web/session", "{\"api_key\":\"" + admin + "\"}", "application/json");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.cookie, Catch::Contains("; Secure") && Catch::Contains("HttpOnly") && Catch::Contains("SameSite=Strict"));
}

TEST_CASE("a session request without its CSRF token is refused and audited in the session's tenant", "[web][session]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string admin = MakeKey(state, "acme", "admin");
  std::string other_admin = MakeKey(state, "default", "admin");
  TestServer server(state, dir.path());
  httplib::ClientImpl c("127.0.0.1", server.port());
  Reply in = Send(c, "POST", "/web/session", "{\"api_key\":\"" + admin + "\"}", "application/json");
  REQUIRE(in.status == 200);
  auto session = json::Parse(in.body);
  REQUIRE(session.ok());
  std::string csrf = json::GetString(*session, "csrf_token");
  httplib::Headers cookie{{"Cookie", CookiePair(in.cookie)}};

  Reply refused = Send(c, "POST", "/v1/runs", "{\"run_id\":\"" + kRun + "\"}", "application/json", cookie);
  CHECK(refused.status == 403);
  CHECK_THAT(refused.body, Catch::Contains("X-CSRF-Token"));
  Reply wrong = Send(c, "POST", "/v1/runs", "{\"run_id\":\"" + kRun + "\"}", "application/json",
                     {{"Cookie", CookiePair(in.cookie)}, {"X-CSRF-Token", csrf + "x"}});
  CHECK(wrong.status == 403);
  CHECK(DeniedAudits(server, admin, "X-CSRF-Token") == 2);       // in acme's log
  CHECK(DeniedAudits(server, other_admin, "X-CSRF-Token") == 0);  // not in another tenant's
  CHECK(server.Get("/v1/runs/" + kRun, admin).status == 404);      // nothing was created

  Reply read = Send(c, "GET", "/v1/runs", "", "", cookie);  // reads need no token
  CHECK(read.status == 200);
  Reply made = Send(c, "POST", "/v1/runs", "{\"run_id\":\"" + kRun + "\"}", "application/json",
                    {{"Cookie", CookiePair(in.cookie)}, {"X-CSRF-Token", csrf}});
  CHECK(made.status == 201);
}

TEST_CASE("the run view classifies the run's chain with the keys the server trusts", "[web][server][evidence]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  TestServer server(state, dir.path());
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", ingest).status == 201);
  REQUIRE(server.Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 2), ingest).status == 200);

  HttpResult open = server.Get("/v1/runs/" + kRun, viewer);
  REQUIRE(open.status == 200);
  CHECK(json::GetString(open.json["evidence"], "class") == "NON_AUTHORITATIVE");
  CHECK(open.json["evidence"]["verified"].GetBool());
  CHECK_THAT(json::GetString(open.json["evidence"], "detail"), Catch::Contains("unsealed"));

  REQUIRE(server.Post("/v1/runs/" + kRun + ":finish", "", ingest).status == 200);
  HttpResult sealed = server.Get("/v1/runs/" + kRun, viewer);
  REQUIRE(sealed.status == 200);
  CHECK(json::GetString(sealed.json["evidence"], "class") == "AUTHORITATIVE");
  CHECK_THAT(json::GetString(sealed.json["evidence"], "detail"), Catch::Contains("sealed by trusted server key"));
}

TEST_CASE("oep serve refuses a trusted key it cannot read, or its own key in another role", "[web][server][evidence]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  MakeKey(state, "acme", "admin");
  RunResult missing = RunOep({"serve", "--state-path", state, "--listen", "127.0.0.1:0", "--trusted-key", "server=" + dir / "nope.pem"});
  CHECK(missing.exit_code != 0);
  CHECK_THAT(missing.err, Catch::Contains("--trusted-key server=" + dir / "nope.pem"));
  RunResult role = RunOep({"serve", "--state-path", state, "--listen", "127.0.0.1:0", "--trusted-key", "admin=" + dir / "nope.pem"});
  CHECK(role.exit_code != 0);
  CHECK_THAT(role.err, Catch::Contains("role must be server or local"));
  // The server's own key (made on the first start above) offered as a local key.
  REQUIRE(RunOep({"keys", "export", "--key", state + ".server-key.pem", "--out", dir / "server.pub.pem"}).exit_code == 0);
  RunResult own = RunOep({"serve", "--state-path", state, "--listen", "127.0.0.1:0", "--trusted-key", "local=" + dir / "server.pub.pem"});
  CHECK(own.exit_code != 0);
  CHECK_THAT(own.err, Catch::Contains("already trusted as local"));
}

namespace {

// Signs `key` in; returns the Set-Cookie header and the session's CSRF token.
std::pair<std::string, std::string> SignIn(TestServer& server, const std::string& key) {
  httplib::ClientImpl c("127.0.0.1", server.port());
  Reply in = Send(c, "POST", "/web/session", "{\"api_key\":\"" + key + "\"}", "application/json");
  REQUIRE(in.status == 200);
  auto session = json::Parse(in.body);
  REQUIRE(session.ok());
  return {in.cookie, json::GetString(*session, "csrf_token")};
}

int StatusWithCookie(TestServer& server, const std::string& path, const std::string& cookie_pair) {
  httplib::ClientImpl c("127.0.0.1", server.port());
  return Send(c, "GET", path, "", "", {{"Cookie", cookie_pair}}).status;
}

}  // namespace

TEST_CASE("a web session survives a server restart, and a revoked key's session stops", "[web][session]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string admin = MakeKey(state, "acme", "admin");
  std::string cookie, csrf;
  {
    TestServer server(state, dir.path());
    std::tie(cookie, csrf) = SignIn(server, admin);
    CHECK(StatusWithCookie(server, "/v1/runs", CookiePair(cookie)) == 200);
  }
  // The session secret beside the state: made on the first start, readable by its owner only.
  std::filesystem::path secret = state + ".web-session-key";
  REQUIRE(std::filesystem::exists(secret));
  CHECK((std::filesystem::status(secret).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK_THAT(cookie, !Catch::Contains(admin));  // the key itself is never in the cookie

  TestServer restarted(state, dir.path());
  CHECK(StatusWithCookie(restarted, "/v1/runs", CookiePair(cookie)) == 200);
  httplib::ClientImpl c("127.0.0.1", restarted.port());
  Reply info = Send(c, "GET", "/web/session", "", "", {{"Cookie", CookiePair(cookie)}});
  CHECK(info.status == 200);
  CHECK_THAT(info.body, Catch::Contains("\"csrf_token\":\"" + csrf + "\"") && Catch::Contains("\"tenant\":\"acme\""));
  // The CSRF token of before the restart still guards state-changing requests.
  Reply made = Send(c, "POST", "/v1/runs", "{\"run_id\":\"" + kRun + "\"}", "application/json",
                    {{"Cookie", CookiePair(cookie)}, {"X-CSRF-Token", csrf}});
  CHECK(made.status == 201);

  REQUIRE(RunOep({"key", "revoke", admin, "--state-path", state}).exit_code == 0);
  CHECK(StatusWithCookie(restarted, "/v1/runs", CookiePair(cookie)) == 401);
  CHECK(Send(c, "GET", "/web/session", "", "", {{"Cookie", CookiePair(cookie)}}).status == 401);
}

TEST_CASE("a tampered, foreign or signed-out web session cookie is refused", "[web][session][bad-input]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string admin = MakeKey(state, "acme", "admin");
  std::string viewer = MakeKey(state, "acme", "viewer");
  TestServer server(state, dir.path());
  auto [cookie, csrf] = SignIn(server, viewer);
  std::string pair = CookiePair(cookie);
  REQUIRE(StatusWithCookie(server, "/v1/runs", pair) == 200);
  std::string value = pair.substr(pair.find('=') + 1);
  auto parts = [&]() {
    std::vector<std::string> p;
    size_t pos = 0;
    for (size_t end; (end = value.find('.', pos)) != std::string::npos; pos = end + 1) p.push_back(value.substr(pos, end - pos));
    p.push_back(value.substr(pos));
    return p;
  }();
  REQUIRE(parts.size() == 6);
  auto join = [](std::vector<std::string> p) {
    std::string out;
    for (size_t i = 0; i < p.size(); ++i) out += (i ? "." : "") + p[i];
    return "oep_session=" + out;
  };
  // The admin key's id and hash in a cookie signed for the viewer: a raised role.
  auto admin_record = [&]() {
    auto p = parts;
    std::string admin_id = admin.substr(5, admin.find('_', 5) - 5);
    p[1] = admin_id;
    return join(p);
  }();
  std::vector<std::string> bad{
      join([&] { auto p = parts; p[3] = std::to_string(std::stoll(p[3]) + 86400); return p; }()),  // a later expiry
      join([&] { auto p = parts; p[4][0] = p[4][0] == 'a' ? 'b' : 'a'; return p; }()),            // another CSRF token
      join([&] { auto p = parts; p[5][10] = p[5][10] == '0' ? '1' : '0'; return p; }()),          // a changed MAC
      join([&] { auto p = parts; p.pop_back(); return p; }()),                                       // no MAC
      admin_record,
      "oep_session=v1.x.y.1.z.w",
      "oep_session=" + std::string(600, 'a'),
      "oep_session=",
  };
  for (const auto& b : bad) {
    INFO(b);
    CHECK(StatusWithCookie(server, "/v1/runs", b) == 401);
    CHECK(StatusWithCookie(server, "/web/session", b) == 401);
  }
  // Another store's secret signs another server's sessions: not this one's.
  ScratchDir other_dir;
  std::string other_state = other_dir / "s.sqlite";
  std::string other_key = MakeKey(other_state, "acme", "viewer");
  TestServer other(other_state, other_dir.path());
  auto [foreign, foreign_csrf] = SignIn(other, other_key);
  CHECK(StatusWithCookie(server, "/v1/runs", CookiePair(foreign)) == 401);

  // Signed out: the same cookie is refused, after a restart too.
  httplib::ClientImpl c("127.0.0.1", server.port());
  CHECK(Send(c, "POST", "/web/session:delete", "{}", "application/json", {{"Cookie", pair}}).status == 403);  // no CSRF token
  CHECK(StatusWithCookie(server, "/v1/runs", pair) == 200);
  CHECK(Send(c, "POST", "/web/session:delete", "{}", "application/json", {{"Cookie", pair}, {"X-CSRF-Token", csrf}}).status == 200);
  CHECK(StatusWithCookie(server, "/v1/runs", pair) == 401);
  server.Stop();
  TestServer restarted(state, dir.path());
  CHECK(StatusWithCookie(restarted, "/v1/runs", pair) == 401);
}

TEST_CASE("oep serve refuses a session secret file that holds no secret", "[web][session][bad-input]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  MakeKey(state, "acme", "admin");
  WriteText(state + ".web-session-key", "not a secret\n");
  RunResult r = RunOep({"serve", "--state-path", state, "--listen", "127.0.0.1:0"});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains(state + ".web-session-key") && Catch::Contains("64 hex digits"));
}

TEST_CASE("the decision view carries its run chain's evidence class", "[web][server][evidence]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  REQUIRE(RunOep({"demo", "--state-path", state}).exit_code == 0);
  std::string viewer = MakeKey(state, "default", "viewer");
  TestServer server(state, dir.path());
  HttpResult d = server.Get("/v1/decisions/pder_oep_demo_write_file_0002", viewer);
  REQUIRE(d.status == 200);
  const auto& ce = d.json["chain_evidence"];
  CHECK(json::GetString(ce, "chain_id") == "run:5e0c1d2a9b8f47d6a1c3e5f7091b2d4f");
  CHECK(json::GetString(ce, "class") == "NON_AUTHORITATIVE");
  CHECK(ce["verified"].GetBool());
  CHECK_THAT(json::GetString(ce, "detail"), Catch::Contains("unsealed"));
  // The Markdown names the same class with the same detail.
  HttpResult md = server.Get("/v1/decisions/pder_oep_demo_write_file_0002/markdown", viewer);
  CHECK_THAT(md.body, Catch::Contains("NON_AUTHORITATIVE (" + json::GetString(ce, "detail") + ")"));
}
