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
