// Interoperability of the checkpoint note format with a real transparency log.
#include <catch2/catch.hpp>

#include "checkpoint/checkpoint.h"
#include "crypto/ed25519.h"
#include "crypto/encoding.h"
#include "keys/keys.h"
#include "support/support.h"

using namespace oep::test;

namespace {

// Go's checksum database: its published verifier key ("sum.golang.org+033de0ae+" then
// base64 of 0x01 || the 32-byte Ed25519 public key) and one checkpoint it signed (base64 of
// the note), both as quoted in public test code. The signature verifying under Go's key is
// what makes the note genuine.
const std::string kGoVerifierKeyData = "Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
const std::string kGoNoteBase64 =
    "Z28uc3VtIGRhdGFiYXNlIHRyZWUKNjU2NjQyNTgKV1ZWTlZEMnF4K2ZUcTMxemtqNlVBcXhUNVg2SHZHcGhHTStvOFRobmJzZz0KCuKAlCBzdW0uZ29s"
    "YW5nLm9yZyBBejNncmxpZ0ptZ1g3S0d5R1BLeWJ5a05UaDNWZ3NiTHZVdXZPd3JNNXpMVmx1bG1GcDJ3ZHZieE93NzQvZ2NOeFVSU2hYRXBiN1JYY3Mz"
    "K0JZZmxZTit3MGdRPQo=";

oep::TrustedKeys GoKeyAs(const ScratchDir& dir, const std::string& role) {
  auto data = oep::crypto::Base64Decode(kGoVerifierKeyData);
  REQUIRE(data);
  REQUIRE(data->size() == 33);
  REQUIRE((*data)[0] == '\x01');
  auto pem = oep::crypto::Ed25519PublicKeyPem(oep::crypto::HexEncode(data->substr(1)));
  REQUIRE(pem.ok());
  WriteText(dir / "go.pub.pem", *pem);
  auto keys = oep::TrustedKeys::Load({role + "=" + dir / "go.pub.pem"}, "");
  REQUIRE(keys.ok());
  return *keys;
}

}  // namespace

TEST_CASE("a checkpoint signed by sum.golang.org opens under Go's published key", "[checkpoint]") {
  ScratchDir dir;
  std::string note = *oep::crypto::Base64Decode(kGoNoteBase64);
  auto cp = oep::OpenCheckpoint(note, GoKeyAs(dir, "server"), "go.note");
  INFO((cp.ok() ? "" : cp.status().message()));
  REQUIRE(cp.ok());
  CHECK(cp->checkpoint.origin == "go.sum database tree");
  CHECK(cp->checkpoint.size == 65664258);
  CHECK(oep::crypto::Base64Encode(std::string(reinterpret_cast<const char*>(cp->checkpoint.root.data()), 32)) ==
        "WVVNVD2qx+fTq31zkj6UAqxT5X6HvGphGM+o8Thnbsg=");
}

TEST_CASE("the Go checkpoint with one digit changed, or under another role, does not open", "[checkpoint]") {
  ScratchDir dir;
  std::string note = *oep::crypto::Base64Decode(kGoNoteBase64);
  std::string bent = note;
  bent.replace(bent.find("65664258"), 8, "65664259");
  auto edited = oep::OpenCheckpoint(bent, GoKeyAs(dir, "server"), "go.note");
  REQUIRE_FALSE(edited.ok());
  CHECK_THAT(edited.status().message(), Catch::Contains("does not verify under trusted server key"));
  auto local = oep::OpenCheckpoint(note, GoKeyAs(dir, "local"), "go.note");
  REQUIRE_FALSE(local.ok());
  CHECK_THAT(local.status().message(), Catch::Contains("signed only by trusted local key"));
}

TEST_CASE("no single-byte change of a checkpoint note opens, and none crashes the parser", "[checkpoint][bad-input]") {
  ScratchDir dir;
  MakeDemoStore(dir / "s.sqlite");
  WriteEd25519Key(dir / "k.pem");
  REQUIRE(RunOep({"keys", "export", "--key", dir / "k.pem", "--out", dir / "k.pub"}).exit_code == 0);
  RunResult cp = RunOep({"checkpoint", "--state-path", dir / "s.sqlite", "--key", dir / "k.pem"});
  REQUIRE(cp.exit_code == 0);
  auto keys = oep::TrustedKeys::Load({"server=" + dir / "k.pub"}, "");
  REQUIRE(keys.ok());
  REQUIRE(oep::OpenCheckpoint(cp.out, *keys, "cp").ok());
  int opened = 0;
  for (size_t i = 0; i < cp.out.size(); ++i) {
    for (unsigned char delta : {0x01, 0x20, 0x80}) {
      std::string bent = cp.out;
      bent[i] = static_cast<char>(static_cast<unsigned char>(bent[i]) ^ delta);
      opened += oep::OpenCheckpoint(bent, *keys, "cp").ok();
      (void)oep::ParseCheckpoint(bent, "cp");
    }
  }
  CHECK(opened == 0);
}
