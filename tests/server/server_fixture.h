// A real `oep serve` subprocess on an ephemeral loopback port, and HTTP calls to it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <rapidjson/document.h>

#include "support/support.h"

namespace oep::test {

struct HttpResult {
  int status = 0;  // 0: no response (connection failed)
  std::string body;
  rapidjson::Document json;  // parsed body (null when not JSON)
  std::string ErrorMessage() const;  // error.message of an error body
  std::string ErrorPointer() const;  // error.pointer
};

class TestServer {
 public:
  // Starts `oep serve --state-path <state> --listen 127.0.0.1:0 <extra...>` and waits
  // until it listens. TLS when `tls_dir` holds cert.pem and key.pem (see MakeTlsFiles).
  TestServer(const std::string& state, const std::string& work_dir, std::vector<std::string> extra = {},
             const std::string& tls_dir = "");
  ~TestServer();  // SIGTERM, then wait
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  int pid() const { return pid_; }
  // Sends `sig` and returns the exit status (128 + signal when killed).
  int Stop(int sig = 15);
  std::string Log() const;  // what the server wrote on stderr

  HttpResult Get(const std::string& path, const std::string& key = "");
  HttpResult Post(const std::string& path, const std::string& body, const std::string& key = "",
                  const std::string& content_encoding = "");

 private:
  std::unique_ptr<httplib::ClientImpl> Client();
  std::string work_dir_, tls_dir_;
  int pid_ = -1;
  int port_ = 0;
};

// `oep tenant create` + `oep key create`; returns the key (the last stdout line).
std::string MakeKey(const std::string& state, const std::string& tenant, const std::string& role);

// A self-signed certificate for 127.0.0.1 made with the openssl command: dir/cert.pem, dir/key.pem.
void MakeTlsFiles(const std::string& dir);

// The example manifest, and an agent-step event of run `run_id` (its trace id) with a
// unique event id; the JSON of {"steps": [...]} for steps first..last.
std::string ManifestJson();
std::string StepEvent(const std::string& run_id, int step, const std::string& salt = "");
std::string StepBatch(const std::string& run_id, int first, int last, const std::string& salt = "");

// The flags `oep serve` needs for the store `state`: none for SQLite (the server makes its
// key beside the file), --server-key with a fresh key in `dir` for PostgreSQL (required
// there). `key_path` receives where the server's key is.
std::vector<std::string> ServerKeyFlags(const std::string& state, const std::string& dir, std::string* key_path);

// `oep dump --digest` of the store (its whole content).
std::string StoreDigest(const std::string& state);

// The stored steps of run `run_id` in `tenant` ("": the default), one "digest body" line
// each (the stored artifacts, to compare byte for byte).
std::string StoredRunSteps(const std::string& state, const std::string& run_id, const std::string& tenant = "");

}  // namespace oep::test
