// Keys derived from an Ed25519 private key (HKDF-SHA256, RFC 5869), checked against a value
// computed outside oep for RFC 8032's first test key.
#include <fstream>

#include <catch2/catch.hpp>

#include "crypto/ed25519.h"
#include "crypto/encoding.h"
#include "keys/keys.h"
#include "support/support.h"

using namespace oep;

namespace {

// RFC 8032 section 7.1, TEST 1: secret key 9d61b1...7f60 as PKCS#8 PEM.
constexpr const char* kRfc8032Test1Pem =
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";

}  // namespace

TEST_CASE("a key derived from an Ed25519 private key is HKDF-SHA256 of its seed", "[crypto]") {
  test::ScratchDir dir;
  std::string path = dir / "k.pem";
  { std::ofstream(path) << kRfc8032Test1Pem; }
  auto d = crypto::DeriveKeyFromEd25519PrivateKey(path, "oep webhook secrets v1");
  REQUIRE(d.ok());
  CHECK(d->public_key_hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");  // RFC 8032
  // Python: PRK = HMAC(b"\0"*32, seed); OKM = HMAC(PRK, info + b"\x01") (RFC 5869, no salt).
  CHECK(crypto::HexEncode(d->bytes) == "a68169ff2e86b98d706455c744cc447711d4c3619d9abb904bb22c7533cc5d97");
  auto other_purpose = crypto::DeriveKeyFromEd25519PrivateKey(path, "another purpose");
  REQUIRE(other_purpose.ok());
  CHECK(other_purpose->bytes.size() == 32);
  CHECK(other_purpose->bytes != d->bytes);

  std::string fresh = dir / "fresh.pem";
  REQUIRE(GenerateKeyFile(fresh).ok());
  auto e = crypto::DeriveKeyFromEd25519PrivateKey(fresh, "oep webhook secrets v1");
  REQUIRE(e.ok());
  CHECK(e->bytes != d->bytes);

  auto missing = crypto::DeriveKeyFromEd25519PrivateKey(dir / "none.pem", "x");
  CHECK_THAT(missing.status().message(), Catch::Contains("none.pem: cannot open the private key"));
  std::string pub = dir / "pub.pem";
  auto pem = ExportPublicKey(path);
  REQUIRE(pem.ok());
  { std::ofstream(pub) << *pem; }
  auto not_private = crypto::DeriveKeyFromEd25519PrivateKey(pub, "x");
  CHECK_THAT(not_private.status().message(), Catch::Contains("pub.pem: expected an Ed25519 private key in PEM form"));
}
