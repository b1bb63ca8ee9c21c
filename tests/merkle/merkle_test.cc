// RFC 6962 trees and proofs: the published vectors and exhaustive small trees.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "crypto/encoding.h"
#include "merkle/merkle.h"

using oep::merkle::Hash;

namespace {

Hash H(const std::string& hex) {
  auto bytes = oep::crypto::HexDecode(hex);
  REQUIRE(bytes);
  REQUIRE(bytes->size() == 32);
  Hash h{};
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

std::string Bytes(const std::string& hex) { return *oep::crypto::HexDecode(hex); }

// Test vectors from transparency-dev/merkle, proof/verify_test.go (RFC 6962 trees):
// the leaf inputs, the roots of the trees of sizes 1..8, and known inclusion and
// consistency proofs. Re-typed as data.
const std::vector<std::string> kLeaves = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                          "606162636465666768696a6b6c6d6e6f"};
const std::vector<std::string> kRoots = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
struct InclusionVector {
  uint64_t leaf;  // 1-based, as in the source
  uint64_t size;
  std::vector<std::string> proof;
};
const std::vector<InclusionVector> kInclusion = {
    {1, 1, {}},
    {1, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {3, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {2, 5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};
struct ConsistencyVector {
  uint64_t size1, size2;
  std::vector<std::string> proof;
};
const std::vector<ConsistencyVector> kConsistency = {
    {1, 1, {}},
    {1, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6, 7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

std::vector<Hash> Hashes(const std::vector<std::string>& hex) {
  std::vector<Hash> out;
  for (const auto& h : hex) out.push_back(H(h));
  return out;
}

// Builds the tree of the first `size` vector leaves, hashing `ranges` on the way.
oep::merkle::TreeBuilder Build(uint64_t size, std::vector<oep::merkle::Range> ranges = {}) {
  oep::merkle::TreeBuilder b(std::move(ranges));
  for (uint64_t i = 0; i < size; ++i) b.Add(oep::merkle::LeafHash(Bytes(kLeaves[i])));
  return b;
}

// MTH by the recursive definition, for cross-checking the streaming builder.
Hash Mth(const std::vector<Hash>& leaves, size_t begin, size_t end) {
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return oep::merkle::NodeHash(Mth(leaves, begin, begin + k), Mth(leaves, begin + k, end));
}

}  // namespace

TEST_CASE("the empty tree and the published roots of sizes 1 to 8", "[merkle]") {
  CHECK(Build(0).Root() == H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  for (uint64_t n = 1; n <= 8; ++n) {
    INFO("size " << n);
    CHECK(Build(n).Root() == H(kRoots[n - 1]));
  }
}

TEST_CASE("published inclusion proofs are produced and verify", "[merkle]") {
  for (const auto& v : kInclusion) {
    INFO("leaf " << v.leaf << " of " << v.size);
    uint64_t index = v.leaf - 1;
    auto built = Build(v.size, oep::merkle::InclusionProofRanges(index, v.size));
    CHECK(built.RangeHashes() == Hashes(v.proof));
    Hash leaf = oep::merkle::LeafHash(Bytes(kLeaves[index]));
    Hash root = H(kRoots[v.size - 1]);
    CHECK(oep::merkle::VerifyInclusion(index, v.size, leaf, Hashes(v.proof), root));
    // Corruptions (as the vectors' source probes them): each must fail.
    auto proof = Hashes(v.proof);
    CHECK_FALSE(oep::merkle::VerifyInclusion(index + 1, v.size, leaf, proof, root));
    CHECK_FALSE(oep::merkle::VerifyInclusion(index, v.size * 2, leaf, proof, root));
    CHECK_FALSE(oep::merkle::VerifyInclusion(index, v.size, oep::merkle::LeafHash("WrongLeaf"), proof, root));
    CHECK_FALSE(oep::merkle::VerifyInclusion(index, v.size, leaf, proof, oep::merkle::EmptyTreeHash()));
    auto longer = proof;
    longer.push_back(root);
    CHECK_FALSE(oep::merkle::VerifyInclusion(index, v.size, leaf, longer, root));
    for (size_t i = 0; i < proof.size(); ++i) {
      auto flipped = proof;
      flipped[i][0] ^= 8;
      CHECK_FALSE(oep::merkle::VerifyInclusion(index, v.size, leaf, flipped, root));
    }
    if (!proof.empty()) {
      auto shorter = proof;
      shorter.pop_back();
      CHECK_FALSE(oep::merkle::VerifyInclusion(index, v.size, leaf, shorter, root));
    }
  }
}

TEST_CASE("published consistency proofs are produced and verify", "[merkle]") {
  for (const auto& v : kConsistency) {
    INFO(v.size1 << " -> " << v.size2);
    auto built = Build(v.size2, oep::merkle::ConsistencyProofRanges(v.size1, v.size2));
    auto proof = Hashes(v.proof);
    CHECK(built.RangeHashes() == proof);
    Hash root1 = H(kRoots[v.size1 - 1]), root2 = H(kRoots[v.size2 - 1]);
    CHECK(oep::merkle::VerifyConsistency(v.size1, v.size2, proof, root1, root2));
    if (proof.empty()) continue;
    CHECK_FALSE(oep::merkle::VerifyConsistency(v.size1, v.size2, proof, root2, root1));
    CHECK_FALSE(oep::merkle::VerifyConsistency(v.size1 - 1, v.size2, proof, root1, root2));
    CHECK_FALSE(oep::merkle::VerifyConsistency(v.size1 + 1, v.size2, proof, root1, root2));
    CHECK_FALSE(oep::merkle::VerifyConsistency(v.size1, v.size2 * 2, proof, root1, root2));
    CHECK_FALSE(oep::merkle::VerifyConsistency(v.size1, v.size2, {}, root1, root2));
    auto longer = proof;
    longer.push_back(root1);
    CHECK_FALSE(oep::merkle::VerifyConsistency(v.size1, v.size2, longer, root1, root2));
    auto shorter = proof;
    shorter.pop_back();
    CHECK_FALSE(oep::merkle::VerifyConsistency(v.size1, v.size2, shorter, root1, root2));
    for (size_t i = 0; i < proof.size(); ++i) {
      auto flipped = proof;
      flipped[i][0] ^= 16;
      CHECK_FALSE(oep::merkle::VerifyConsistency(v.size1, v.size2, flipped, root1, root2));
    }
  }
}

TEST_CASE("trivial consistency cases follow RFC 9162", "[merkle]") {
  Hash a = oep::merkle::LeafHash("a"), b = oep::merkle::LeafHash("b");
  CHECK(oep::merkle::VerifyConsistency(0, 0, {}, a, a));
  CHECK(oep::merkle::VerifyConsistency(0, 1, {}, a, b));
  CHECK(oep::merkle::VerifyConsistency(1, 1, {}, b, b));
  CHECK_FALSE(oep::merkle::VerifyConsistency(1, 1, {}, a, b));
  CHECK_FALSE(oep::merkle::VerifyConsistency(1, 0, {}, a, b));
  CHECK_FALSE(oep::merkle::VerifyConsistency(1, 2, {}, a, b));
  CHECK_FALSE(oep::merkle::VerifyConsistency(1, 1, {a}, b, b));
}

TEST_CASE("every proof of every tree up to 33 leaves verifies, a changed leaf breaks it", "[merkle]") {
  std::vector<Hash> leaves;
  for (int i = 0; i < 33; ++i) leaves.push_back(oep::merkle::LeafHash("leaf " + std::to_string(i)));
  auto build = [&](uint64_t n, std::vector<oep::merkle::Range> ranges, const std::vector<Hash>& from) {
    oep::merkle::TreeBuilder b(std::move(ranges));
    for (uint64_t i = 0; i < n; ++i) b.Add(from[i]);
    return b;
  };
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    Hash root = build(n, {}, leaves).Root();
    REQUIRE(root == Mth(leaves, 0, n));
    for (uint64_t i = 0; i < n; ++i) {
      auto path = build(n, oep::merkle::InclusionProofRanges(i, n), leaves).RangeHashes();
      CHECK(oep::merkle::VerifyInclusion(i, n, leaves[i], path, root));
    }
    for (uint64_t m = 1; m < n; ++m) {
      Hash old_root = Mth(leaves, 0, m);
      auto proof = build(n, oep::merkle::ConsistencyProofRanges(m, n), leaves).RangeHashes();
      CHECK(oep::merkle::VerifyConsistency(m, n, proof, old_root, root));
      // The same proof made from a store where one old leaf was rewritten does not verify.
      auto edited = leaves;
      edited[m - 1] = oep::merkle::LeafHash("rewritten");
      auto forged = build(n, oep::merkle::ConsistencyProofRanges(m, n), edited);
      CHECK_FALSE(oep::merkle::VerifyConsistency(m, n, forged.RangeHashes(), old_root, forged.Root()));
    }
  }
}
