#include <catch2/catch.hpp>

#include "crypto/sha256.h"

TEST_CASE("sha256 of known vectors", "[crypto]") {
  CHECK(oep::crypto::Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(oep::crypto::Sha256Digest("abc") ==
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("incremental sha256 equals one-shot", "[crypto]") {
  oep::crypto::Sha256 h;
  h.Update("a");
  h.Update("bc");
  CHECK(h.FinishHex() == oep::crypto::Sha256Hex("abc"));
}
