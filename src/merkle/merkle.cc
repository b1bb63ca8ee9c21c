#include "merkle/merkle.h"

#include <cassert>
#include <cstring>

#include "crypto/sha256.h"

namespace oep::merkle {
namespace {

Hash ToHash(const std::string& raw) {
  Hash h{};
  std::memcpy(h.data(), raw.data(), h.size());
  return h;
}

// The largest power of two smaller than n (n >= 2).
uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

// PATH(m, D[begin:end]) with m relative to begin, appended in proof order (leaf's sibling first).
void PathRanges(uint64_t m, uint64_t begin, uint64_t end, std::vector<Range>* out) {
  uint64_t n = end - begin;
  if (n <= 1) return;
  uint64_t k = SplitPoint(n);
  if (m < k) {
    PathRanges(m, begin, begin + k, out);
    out->push_back({begin + k, end});
  } else {
    PathRanges(m - k, begin + k, end, out);
    out->push_back({begin, begin + k});
  }
}

// SUBPROOF(m, D[begin:end], b).
void SubproofRanges(uint64_t m, uint64_t begin, uint64_t end, bool complete, std::vector<Range>* out) {
  uint64_t n = end - begin;
  if (m == n) {
    if (!complete) out->push_back({begin, end});
    return;
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubproofRanges(m, begin, begin + k, complete, out);
    out->push_back({begin + k, end});
  } else {
    SubproofRanges(m - k, begin + k, end, false, out);
    out->push_back({begin, begin + k});
  }
}

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

// RFC 9162 2.1.3.2 / 2.1.4.2: "right-shift both fn and sn equally until either LSB(fn) is
// set or fn is 0".
void ShiftToOddOrZero(uint64_t& fn, uint64_t& sn) {
  while (fn != 0 && !(fn & 1)) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Hash LeafHash(std::string_view leaf_data) {
  crypto::Sha256 h;
  h.Update(std::string_view("\x00", 1));
  h.Update(leaf_data);
  return ToHash(h.FinishRaw());
}

Hash NodeHash(const Hash& left, const Hash& right) {
  char buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  return ToHash(crypto::Sha256Raw(std::string_view(buf, sizeof buf)));
}

Hash EmptyTreeHash() { return ToHash(crypto::Sha256Raw("")); }

std::vector<Range> InclusionProofRanges(uint64_t index, uint64_t size) {
  assert(index < size);
  std::vector<Range> out;
  PathRanges(index, 0, size, &out);
  return out;
}

std::vector<Range> ConsistencyProofRanges(uint64_t old_size, uint64_t new_size) {
  assert(old_size <= new_size);
  std::vector<Range> out;
  if (old_size == 0 || old_size == new_size) return out;
  SubproofRanges(old_size, 0, new_size, true, &out);
  return out;
}

void TreeBuilder::Compact::Add(const Hash& h) {
  stack.emplace_back(1, h);
  // Merge equal-sized neighbours: the stack holds the binary digits of the count.
  while (stack.size() >= 2 && stack[stack.size() - 1].first == stack[stack.size() - 2].first) {
    auto right = stack.back();
    stack.pop_back();
    stack.back().second = NodeHash(stack.back().second, right.second);
    stack.back().first *= 2;
  }
}

Hash TreeBuilder::Compact::Root() const {
  if (stack.empty()) return EmptyTreeHash();
  // MTH(D[n]) = NodeHash(largest perfect subtree, MTH(rest)): fold from the right.
  Hash acc = stack.back().second;
  for (size_t i = stack.size() - 1; i-- > 0;) acc = NodeHash(stack[i].second, acc);
  return acc;
}

TreeBuilder::TreeBuilder(std::vector<Range> ranges) : ranges_(std::move(ranges)), range_trees_(ranges_.size()) {}

void TreeBuilder::Add(const Hash& leaf_hash) {
  all_.Add(leaf_hash);
  for (size_t i = 0; i < ranges_.size(); ++i) {
    if (ranges_[i].begin <= size_ && size_ < ranges_[i].end) range_trees_[i].Add(leaf_hash);
  }
  ++size_;
}

Hash TreeBuilder::Root() const { return all_.Root(); }

std::vector<Hash> TreeBuilder::RangeHashes() const {
  std::vector<Hash> out;
  for (const auto& t : range_trees_) out.push_back(t.Root());
  return out;
}

bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& path, const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      ShiftToOddOrZero(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const std::vector<Hash>& proof, const Hash& old_root,
                       const Hash& new_root) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();
  if (proof.empty()) return false;
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (IsPowerOfTwo(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      ShiftToOddOrZero(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace oep::merkle
