// The Merkle tree of RFC 6962 section 2.1 (RFC 9162 section 2.1), over SHA-256:
//   MTH({})      = SHA-256()
//   MTH({d0})    = SHA-256(0x00 || d0)                        (leaf hash)
//   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) (node hash)
// where k is the largest power of two smaller than n. Leaves are streamed in order into a
// TreeBuilder, which keeps O(log n) hashes: trees of millions of leaves need no leaf list.
// Inclusion and consistency proofs are the hashes of fixed leaf ranges that depend only
// on the sizes (and index); the builder hashes those ranges as the leaves go by.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace oep::merkle {

using Hash = std::array<unsigned char, 32>;

Hash LeafHash(std::string_view leaf_data);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyTreeHash();  // SHA-256 of nothing

// Leaves [begin, end) of a tree: one node of an inclusion or consistency proof.
struct Range {
  uint64_t begin = 0, end = 0;
};

// The ranges of the audit path of leaf `index` in a tree of `size` leaves (RFC 6962
// PATH(m, D[n])), leaf's sibling first. Requires index < size.
std::vector<Range> InclusionProofRanges(uint64_t index, uint64_t size);
// The ranges of the consistency proof from `old_size` to `new_size` (RFC 6962
// PROOF(m, D[n])). Empty when old_size is 0 or equals new_size. Requires old_size <= new_size.
std::vector<Range> ConsistencyProofRanges(uint64_t old_size, uint64_t new_size);

// Streams leaf hashes in order; yields the root of everything added and the hash of
// each requested range (ranges must end at or before the final size).
class TreeBuilder {
 public:
  explicit TreeBuilder(std::vector<Range> ranges = {});
  void Add(const Hash& leaf_hash);
  uint64_t size() const { return size_; }
  Hash Root() const;
  std::vector<Hash> RangeHashes() const;

 private:
  // Perfect subtrees of a growing range, largest (leftmost) first: the compact range.
  struct Compact {
    std::vector<std::pair<uint64_t, Hash>> stack;  // (leaf count, hash)
    void Add(const Hash& h);
    Hash Root() const;
  };
  Compact all_;
  std::vector<Range> ranges_;
  std::vector<Compact> range_trees_;
  uint64_t size_ = 0;
};

// RFC 9162 section 2.1.3.2: true when `path` proves leaf `index` (hash `leaf`) is in the
// tree of `size` leaves with root `root`.
bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& path, const Hash& root);

// RFC 9162 section 2.1.4.2: true when `proof` proves the tree of `old_size` leaves with
// root `old_root` is a prefix of the tree of `new_size` leaves with root `new_root`.
// Sizes 0 -> n are consistent with an empty proof; equal sizes need an empty proof and equal roots.
bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const std::vector<Hash>& proof, const Hash& old_root,
                       const Hash& new_root);

}  // namespace oep::merkle
