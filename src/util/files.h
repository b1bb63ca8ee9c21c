// Small file helpers with Status errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/function_ref.h"
#include "util/status.h"

namespace oep {

// Reads a whole regular file. Anything else (a FIFO, socket or device) is refused as
// "not a regular file" without blocking: the file is opened non-blocking and checked first.
Result<std::string> ReadFile(const std::string& path);

// Reads the regular file at `path` (refused as ReadFile refuses) in chunks of at most
// 64 KiB, giving each to `sink` and stopping at the first error `sink` returns. `size`,
// when given, is set to the file's size before the first chunk.
Status ReadFileChunks(const std::string& path, FunctionRef<Status(std::string_view chunk)> sink,
                      uint64_t* size = nullptr);

// Writes `data` to a temporary file beside `path`, fsyncs it and renames it over
// `path`: readers see the old file or the new one, never half of one.
Status WriteFileAtomic(const std::string& path, std::string_view data);

// A fresh path beside `path` for building a file that will be published by rename:
// "<path>.tmp-<pid>-<unique>", never the name of an existing file at the time of the call.
std::string TempSiblingPath(const std::string& path);

// Removes the files TempSiblingPath(path) made in processes that are no longer running
// (a killed run's leftovers), with their SQLite -wal/-shm/-journal companions.
void RemoveStaleTempSiblings(const std::string& path);

// A regular file found under a directory tree.
struct TreeFile {
  std::string path;      // `root` joined with `relative`
  std::string relative;  // '/'-separated path below the root
};

// The regular files below the directory `root` whose file name `include` accepts, sorted
// by relative path (directories are always descended, never through a link). An accepted
// name that is a symbolic link is refused, naming the link: its target may lie outside
// the tree, and a link loop never ends (the root itself may be a link). An accepted FIFO,
// socket or device is refused as "not a regular file". No file is opened.
Result<std::vector<TreeFile>> ListTreeFiles(const std::string& root, FunctionRef<bool(std::string_view name)> include);

}  // namespace oep
