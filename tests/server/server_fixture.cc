#include "server/server_fixture.h"

#include "store/store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "json/json.h"

namespace oep::test {

std::string HttpResult::ErrorMessage() const {
  if (!json.IsObject() || !json.HasMember("error")) return "";
  return json::GetString(json["error"], "message");
}

std::string HttpResult::ErrorPointer() const {
  if (!json.IsObject() || !json.HasMember("error")) return "";
  return json::GetString(json["error"], "pointer");
}

TestServer::TestServer(const std::string& state, const std::string& work_dir, std::vector<std::string> extra,
                       const std::string& tls_dir)
    : work_dir_(work_dir), tls_dir_(tls_dir) {
  std::string port_file = work_dir + "/port", log = work_dir + "/serve.log";
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {OepBinary(), "serve", "--state-path", state, "--listen", "127.0.0.1:0",
                                   "--port-file", port_file};
  if (!tls_dir.empty()) {
    for (const char* a : {"--tls-cert", "cert.pem", "--tls-key", "key.pem"}) {
      args.push_back(a[0] == '-' ? std::string(a) : tls_dir + "/" + a);
    }
  }
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 2);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 3000 && port_ == 0; ++i) {
    if (std::filesystem::exists(port_file)) port_ = std::stoi(ReadText(port_file));
    int status = 0;
    if (port_ == 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("oep serve exited before listening: " + Log());
    }
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (port_ == 0) throw std::runtime_error("oep serve did not listen within 30 s: " + Log());
}

TestServer::~TestServer() {
  if (pid_ > 0) Stop();
}

int TestServer::Stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string TestServer::Log() const { return ReadText(work_dir_ + "/serve.log"); }

std::unique_ptr<httplib::ClientImpl> TestServer::Client() {
  std::unique_ptr<httplib::ClientImpl> c;
  if (tls_dir_.empty()) {
    c = std::make_unique<httplib::ClientImpl>("127.0.0.1", port_);
  } else {
    auto tls = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    tls->set_ca_cert_path((tls_dir_ + "/cert.pem").c_str());
    tls->enable_server_certificate_verification(true);
    c = std::move(tls);
  }
  c->set_read_timeout(60, 0);
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(10, 0);
  return c;
}

namespace {

HttpResult FromResult(const httplib::Result& r) {
  HttpResult out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  auto doc = json::Parse(r->body);
  if (doc.ok()) out.json = std::move(*doc);
  return out;
}

httplib::Headers Auth(const std::string& key) {
  httplib::Headers h;
  if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
  return h;
}

}  // namespace

HttpResult TestServer::Get(const std::string& path, const std::string& key) {
  auto c = Client();
  return FromResult(c->Get(path.c_str(), Auth(key)));
}

HttpResult TestServer::Post(const std::string& path, const std::string& body, const std::string& key,
                            const std::string& content_encoding) {
  auto c = Client();
  httplib::Headers h = Auth(key);
  if (!content_encoding.empty()) h.emplace("Content-Encoding", content_encoding);
  return FromResult(c->Post(path.c_str(), h, body, "application/json"));
}

std::string MakeKey(const std::string& state, const std::string& tenant, const std::string& role) {
  RunResult t = RunOep({"tenant", "create", tenant, "--state-path", state});
  if (t.exit_code != 0) throw std::runtime_error("oep tenant create: " + t.err);
  RunResult k = RunOep({"key", "create", "--tenant", tenant, "--role", role, "--state-path", state});
  if (k.exit_code != 0) throw std::runtime_error("oep key create: " + k.err);
  std::string out = k.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.substr(out.rfind('\n') + 1);
}

void MakeTlsFiles(const std::string& dir) {
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 "
                    "-addext subjectAltName=IP:127.0.0.1 -keyout '" + dir + "/key.pem' -out '" + dir +
                    "/cert.pem' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
}

std::string ManifestJson() { return ReadText(RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json"); }

std::string StepEvent(const std::string& run_id, int step, const std::string& salt) {
  auto doc = json::Parse(ReadText(RepoRoot() + "/events/examples/code_review_demo_read_step.v0.json"));
  auto& a = doc->GetAllocator();
  std::string id = "evt_" + run_id.substr(0, 8) + "_" + std::to_string(step) + salt;
  (*doc)["event_id"].SetString(id.c_str(), a);
  (*doc)["trace_id"].SetString(run_id.c_str(), a);
  (*doc)["checkpoint"]["sequence"].SetInt(step);
  (*doc).RemoveMember("permission_packet_ref");
  (*doc).RemoveMember("tool_call_id");
  return json::CanonicalText(*doc);
}

std::string StepBatch(const std::string& run_id, int first, int last, const std::string& salt) {
  std::string out = "{\"steps\":[";
  for (int s = first; s <= last; ++s) {
    out += (s == first ? "" : ",") + std::string("{\"step\":") + std::to_string(s) + ",\"event\":" +
           StepEvent(run_id, s, salt) + "}";
  }
  return out + "]}";
}

std::string StoreDigest(const std::string& state) {
  RunResult r = RunOep({"dump", "--digest", "--state-path", state});
  if (r.exit_code != 0) throw std::runtime_error("oep dump: " + r.err);
  return r.out;
}

std::string StoredRunSteps(const std::string& state, const std::string& run_id, const std::string& tenant) {
  auto store = Store::Open(state, Store::Mode::kReadOnly);
  if (!store.ok()) throw std::runtime_error(store.status().message());
  if (!tenant.empty()) (*store)->ScopeToTenant(tenant);
  auto steps = (*store)->RunSteps(run_id, 0, 1000);
  if (!steps.ok()) throw std::runtime_error(steps.status().message());
  std::string out;
  for (const auto& s : *steps) out += s.digest + " " + s.body + "\n";
  return out;
}

std::vector<std::string> ServerKeyFlags(const std::string& state, const std::string& dir, std::string* key_path) {
  if (!IsPostgresUrl(state)) {
    *key_path = SqliteFilePath(state) + ".server-key.pem";
    return {};
  }
  *key_path = dir + "/server-key.pem";
  WriteEd25519Key(*key_path);
  return {"--server-key", *key_path};
}

}  // namespace oep::test
