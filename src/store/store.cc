#include "store/store.h"

#include <filesystem>

#include "store/sqlite_store.h"
#ifdef OEP_WITH_POSTGRES
#include "store/postgres_store.h"
#endif

namespace oep {

Store::~Store() = default;

std::span<const RetentionTable> RetentionTables() {
  static constexpr RetentionTable kTables[] = {{"events", "event_id", "event_time"},
                                               {"decisions", "decision_id", "decision_time"},
                                               {"decision_inputs", "decision_id", ""},
                                               {"audit_log", "audit_id", "at"}};
  return kTables;
}

const RetentionTable* FindRetentionTable(std::string_view table) {
  for (const auto& t : RetentionTables()) {
    if (t.table == table) return &t;
  }
  return nullptr;
}

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string SqliteFilePath(const std::string& url) {
  if (IsPostgresUrl(url)) return "";
  if (url.starts_with("sqlite:")) return url.substr(7);
  return url;
}

bool StoreExists(const std::string& url) {
  if (IsPostgresUrl(url)) return true;
  return std::filesystem::exists(SqliteFilePath(url));
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& url, Mode mode) {
  if (IsPostgresUrl(url)) {
#ifdef OEP_WITH_POSTGRES
    return PostgresStore::OpenUrl(url, mode);
#else
    return Status::InvalidArgument("--store " + url +
                                   ": this oep was built without PostgreSQL support (install libpqxx-dev and "
                                   "rebuild; CMake option OEP_POSTGRES); use sqlite:PATH or a file path");
#endif
  }
  if (url.find("://") != std::string::npos) {
    return Status::InvalidArgument("--store " + url +
                                   ": unknown store URL scheme (expected sqlite:PATH, a file path, or postgresql://...)");
  }
  std::string path = SqliteFilePath(url);
  if (path.empty()) return Status::InvalidArgument("--store " + url + ": no file path after sqlite:");
  return SqliteStore::OpenFile(path, mode);
}

Status UnknownIdError(Store& store, ArtifactKind kind, std::string_view id, const std::string& noun) {
  if (FindRetentionTable(Spec(kind).table) != nullptr) {
    auto tombstone = store.GetTombstone(Spec(kind).table, std::string(id));
    if (tombstone.ok() && *tombstone) {
      return Status::NotFound(noun + " \"" + std::string(id) + "\" was deleted by retention at " + (*tombstone)->deleted_at +
                              " (tombstoned; its content hash sha256:" + (*tombstone)->content_hash + " is kept)");
    }
  }
  auto nearest = store.NearestIds(kind, id, 3);
  std::string msg = "no " + noun + " \"" + std::string(id) + "\" in " + store.path();
  if (nearest.ok() && !nearest->empty()) {
    msg += "; closest stored " + noun + " ids:";
    for (const auto& n : *nearest) msg += " " + n;
  } else if (nearest.ok()) {
    msg += " (the store holds no " + noun + "s)";
  }
  return Status::NotFound(msg);
}

void RemoveStoreFiles(const std::string& url) {
  std::string path = SqliteFilePath(url);
  if (path.empty()) return;
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix, ec);
}

}  // namespace oep
