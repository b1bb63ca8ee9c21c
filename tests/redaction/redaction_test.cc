// Redaction at ingest: what a profile names never reaches the store file; markers
// hash-check against the originals; the chain still verifies; bad profiles are refused.
#include <filesystem>

#include <catch2/catch.hpp>

#include "exposure/exposure.h"
#include "json/json.h"
#include "redaction/redaction.h"
#include "store/store.h"
#include "server/server_fixture.h"
#include "support/support.h"

using namespace oep::test;

namespace {

const char* kProfile = R"({"schema_version":"oep.redaction_profile.v0","detectors":["email","card"],
  "pointers":["/actor/display_name"],"keys":["X-Session"]})";

// The demo's read step with personal data and credentials in it.
std::string EventWithPersonalData() {
  auto doc = oep::json::Parse(ReadText(RepoRoot() + "/events/examples/code_review_demo_read_step.v0.json"));
  REQUIRE(doc.ok());
  auto& a = doc->GetAllocator();
  (*doc)["event_id"].SetString("evt_redaction_0001", a);
  (*doc)["outcome"]["summary"].SetString("mailed ana.lopez@example.org; paid with 4111 1111 1111 1111.", a);
  rapidjson::Value headers(rapidjson::kObjectType), request(rapidjson::kObjectType);
  headers.AddMember("Authorization", "Bearer sekr3t-token-value-0001", a);
  headers.AddMember("X-Session", "s3ss10n-v4lue", a);
  request.AddMember("headers", headers, a);
  doc->AddMember("request", request, a);
  return oep::json::CanonicalText(*doc);
}

std::string StoreBytes(const std::string& db) {
  std::string bytes = ReadText(db);
  if (std::filesystem::exists(db + "-wal")) bytes += ReadText(db + "-wal");
  return bytes;
}

rapidjson::Value Str(const char* s) { return rapidjson::Value(rapidjson::StringRef(s)); }

}  // namespace

TEST_CASE("a redaction profile replaces values, keys and detector matches by hash-checked markers", "[redaction]") {
  auto profile = oep::ParseRedactionProfile(kProfile, "p.json");
  REQUIRE(profile.ok());
  auto doc = oep::json::Parse(EventWithPersonalData());
  REQUIRE(doc.ok());
  CHECK(oep::ApplyRedaction(*doc, *profile, doc->GetAllocator()) == 5);
  std::string summary = (*doc)["outcome"]["summary"].GetString();
  CHECK(summary.rfind("mailed oep:redacted:email:sha256:", 0) == 0);
  CHECK(summary.find("ana.lopez") == std::string::npos);
  CHECK(summary.find("4111") == std::string::npos);
  std::string marker = summary.substr(7, 13 + 6 + 7 + 64);
  CHECK(oep::RedactionMarkerMatches(marker, Str("ana.lopez@example.org")));
  CHECK_FALSE(oep::RedactionMarkerMatches(marker, Str("someone@example.org")));
  CHECK(oep::RedactionMarkerMatches((*doc)["actor"]["display_name"].GetString(), Str("oep demo reviewer")));
  CHECK(oep::RedactionMarkerMatches((*doc)["request"]["headers"]["Authorization"].GetString(),
                                    Str("Bearer sekr3t-token-value-0001")));
  std::string once = oep::json::CanonicalText(*doc);
  CHECK(oep::ApplyRedaction(*doc, *profile, doc->GetAllocator()) == 0);  // markers are not redacted again
  CHECK(oep::json::CanonicalText(*doc) == once);
  std::vector<oep::ExposureFinding> findings;
  oep::ScanForExposure(*doc, "events/x", &findings);
  CHECK(findings.empty());
}

TEST_CASE("a marker that does not hash-check is an ERROR of the exposure audit", "[redaction]") {
  auto doc = oep::json::Parse(R"({"a":"oep:redacted:email:sha256:1234","b":"oep:redacted:email"})");
  REQUIRE(doc.ok());
  std::vector<oep::ExposureFinding> findings;
  oep::ScanForExposure(*doc, "t/1", &findings);
  REQUIRE(findings.size() == 2);
  CHECK(findings[0].severity == "ERROR");
  CHECK(findings[0].pointer == "/a");
  CHECK(findings[1].pointer == "/b");
}

TEST_CASE("oep ingest --redaction-profile stores none of the redacted values and the chain verifies", "[redaction]") {
  ScratchDir dir;
  WriteText(dir / "profile.json", kProfile);
  WriteText(dir / "event.json", EventWithPersonalData());
  std::string db = dir / "s.sqlite";
  auto r = RunOep({"ingest", "--state-path", db, "--redaction-profile", dir / "profile.json",
                   RepoRoot() + "/manifest/examples", dir / "event.json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string bytes = StoreBytes(db);
  for (const char* secret : {"ana.lopez@example.org", "4111 1111 1111 1111", "sekr3t-token", "s3ss10n-v4lue", "oep demo reviewer"}) {
    INFO(secret);
    CHECK(bytes.find(secret) == std::string::npos);
  }
  auto verify = RunOep({"verify", "--chain", "--state-path", db});
  INFO(verify.out);
  CHECK(verify.exit_code == 0);
  auto audit = RunOep({"audit", "gdpr", "--state-path", db});
  CHECK(audit.exit_code == 0);
  CHECK_THAT(audit.out, Catch::Contains("0 unredacted finding(s), 0 bad redaction marker(s)"));
  auto store = oep::Store::Open(db, oep::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto row = (*store)->Get(oep::ArtifactKind::kAgentStepEvent, "evt_redaction_0001");
  REQUIRE(row.ok());
  REQUIRE(*row);
  auto body = oep::json::Parse((*row)->body);
  REQUIRE(body.ok());
  CHECK(oep::RedactionMarkerMatches((*body)["request"]["headers"]["X-Session"].GetString(), Str("s3ss10n-v4lue")));
}

TEST_CASE("a bad redaction profile is refused naming the pointer, and the store is untouched", "[redaction][bad-input]") {
  ScratchDir dir;
  MakeDemoStore(dir / "s.sqlite");
  WriteText(dir / "event.json", EventWithPersonalData());
  std::string before = FileSha256(dir / "s.sqlite");
  struct Bad {
    const char* file;
    const char* profile;
    const char* expected;
  };
  for (const Bad& b : {Bad{"bad.json", R"({"schema_version":"oep.redaction_profile.v0","detectors":["email","ssn"]})",
                           "bad.json: /detectors: unknown detector \"ssn\""},
                       Bad{"odd.json", R"({"schema_version":"oep.redaction_profile.v0","pointer":["/a"]})",
                           "odd.json: /pointer: not a member of a redaction profile"},
                       Bad{"flag.json", R"({"schema_version":"oep.redaction_profile.v0","credential_members":"yes"})",
                           "flag.json: /credential_members: expected true or false"}}) {
    WriteText(dir / b.file, b.profile);
    auto r = RunOep({"ingest", "--state-path", dir / "s.sqlite", "--redaction-profile", dir / b.file, dir / "event.json"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(b.expected));
  }
  CHECK(FileSha256(dir / "s.sqlite") == before);
}

TEST_CASE("without a profile, credential member values are never stored, and a profile can keep them", "[redaction]") {
  ScratchDir dir;
  WriteText(dir / "event.json", EventWithPersonalData());
  std::string db = dir / "s.sqlite";
  auto r = RunOep({"ingest", "--state-path", db, RepoRoot() + "/manifest/examples", dir / "event.json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string bytes = StoreBytes(db);
  CHECK(bytes.find("sekr3t-token") == std::string::npos);  // Authorization: the default profile
  CHECK(bytes.find("s3ss10n-v4lue") != std::string::npos);  // not a credential member name
  CHECK(bytes.find("ana.lopez@example.org") != std::string::npos);  // detectors only when a profile names them
  CHECK(RunOep({"verify", "--chain", "--state-path", db}).exit_code == 0);

  WriteText(dir / "keep.json", R"({"schema_version":"oep.redaction_profile.v0","credential_members":false})");
  std::string kept = dir / "kept.sqlite";
  auto k = RunOep({"ingest", "--state-path", kept, "--redaction-profile", dir / "keep.json", RepoRoot() + "/manifest/examples",
                   dir / "event.json"});
  INFO(k.err);
  REQUIRE(k.exit_code == 0);
  CHECK(StoreBytes(kept).find("sekr3t-token") != std::string::npos);
}

TEST_CASE("oep serve redacts what its ingest routes store: the default profile, or --redaction-profile", "[redaction][server]") {
  ScratchDir dir;
  std::string db = dir / "s.sqlite";
  std::string ingest = MakeKey(db, "acme", "ingest"), viewer = MakeKey(db, "acme", "viewer");
  const std::string run = "77777777777777777777777777777777";
  auto event = oep::json::Parse(EventWithPersonalData());
  REQUIRE(event.ok());
  (*event)["trace_id"].SetString(run.c_str(), event->GetAllocator());
  std::string step = "{\"steps\":[{\"step\":1,\"event\":" + oep::json::CanonicalText(*event) + "}]}";
  {
    TestServer server(db, dir.path());
    REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
    REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + run + "\"}", ingest).status == 201);
    HttpResult posted = server.Post("/v1/runs/" + run + "/steps", step, ingest);
    INFO(posted.body);
    REQUIRE(posted.status == 200);
    HttpResult steps = server.Get("/v1/runs/" + run + "/steps", viewer);
    REQUIRE(steps.status == 200);
    const auto& headers = steps.json["steps"][0]["event"]["request"]["headers"];
    CHECK(oep::RedactionMarkerMatches(headers["Authorization"].GetString(), Str("Bearer sekr3t-token-value-0001")));
    CHECK(std::string(headers["X-Session"].GetString()) == "s3ss10n-v4lue");
    // The same step again is a retry: its digest is the redacted event's.
    CHECK(server.Post("/v1/runs/" + run + "/steps", step, ingest).status == 200);
  }
  CHECK(StoreBytes(db).find("sekr3t-token") == std::string::npos);

  WriteText(dir / "profile.json", kProfile);
  std::string db2 = dir / "t.sqlite";
  std::string ingest2 = MakeKey(db2, "acme", "ingest");
  {
    TestServer server(db2, dir.path(), {"--redaction-profile", dir / "profile.json"});
    REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest2).status == 200);
    auto artifact = oep::json::Parse(EventWithPersonalData());
    REQUIRE(artifact.ok());
    REQUIRE(server.Post("/v1/artifacts", oep::json::CanonicalText(*artifact), ingest2).status == 200);
  }
  std::string bytes = StoreBytes(db2);
  for (const char* secret : {"ana.lopez@example.org", "4111 1111 1111 1111", "sekr3t-token", "s3ss10n-v4lue"}) {
    INFO(secret);
    CHECK(bytes.find(secret) == std::string::npos);
  }
  RunResult bad = RunOep({"serve", "--state-path", db2, "--listen", "127.0.0.1:0", "--redaction-profile", dir / "nope.json"});
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.err, Catch::Contains("--redaction-profile") && Catch::Contains("nope.json"));
}

TEST_CASE("the default profile replaces credential strings, and walks objects that share a credential's name", "[redaction]") {
  auto doc = oep::json::Parse(R"({"token":{"payload":{"password":"hunter2","n":1},"signature":"ab"},"api_key":12345,"secret":null})");
  REQUIRE(doc.ok());
  CHECK(oep::ApplyRedaction(*doc, oep::DefaultRedactionProfile(), doc->GetAllocator()) == 2);
  CHECK((*doc)["token"].IsObject());  // e.g. an approval decision's signed token: kept whole
  CHECK(std::string((*doc)["token"]["signature"].GetString()) == "ab");
  CHECK(oep::RedactionMarkerMatches((*doc)["token"]["payload"]["password"].GetString(), Str("hunter2")));
  CHECK(oep::RedactionMarkerMatches((*doc)["api_key"].GetString(), rapidjson::Value(12345)));
  CHECK((*doc)["secret"].IsNull());
}
