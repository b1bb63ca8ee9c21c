// Redaction at ingest: what a profile names never reaches the store file; markers
// hash-check against the originals; the chain still verifies; bad profiles are refused.
#include <filesystem>

#include <catch2/catch.hpp>

#include "exposure/exposure.h"
#include "json/json.h"
#include "redaction/redaction.h"
#include "store/store.h"
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
