// A throwaway PostgreSQL cluster for the tests (and store_backends_bench).
//
// The cluster is made on first use: initdb into a fresh temporary directory as the
// unprivileged user `oeptest` (created when the tests run as root), listening on a Unix
// socket in that directory only (no TCP port), fsync off (scratch data; on with
// $OEP_TEST_PG_FSYNC=on); the postmaster is a
// child of the test process. It is stopped and its directory removed when the process exits.
#pragma once

#include <string>
#include <vector>


namespace oep::test {

class PostgresCluster {
 public:
  // The cluster of this test process; nullptr when PostgreSQL cannot be used here (this
  // oep built without libpqxx, or no PostgreSQL binaries and none installable), with
  // `why` saying so.
  static PostgresCluster* Get(std::string* why = nullptr);

  // A new, empty database owned by the cluster's superuser; its store URL.
  std::string NewDatabase();
  // The URL of database `db` as `user` (the superuser when empty).
  std::string Url(const std::string& db, const std::string& user = "") const;
  // Runs `sql` (one or more statements) on `db` as the superuser; the rows of the last
  // statement, one line each, fields separated by '|'.
  std::string Sql(const std::string& db, const std::string& sql) const;
  // Runs `sql` on database `db` as `user`; the error message, or "" when it succeeded.
  std::string SqlError(const std::string& db, const std::string& user, const std::string& sql) const;
  const std::string& socket_dir() const { return dir_; }

  ~PostgresCluster();

 private:
  PostgresCluster() = default;
  std::string dir_;
  std::string bin_;
  std::string os_user_;
  int databases_ = 0;
  int owner_pid_ = 0;  // only the process that started the cluster stops it
  int server_pid_ = -1;  // the postmaster, a direct child
};

// The database name of a cluster URL (postgresql://USER@/NAME?host=...).
std::string DatabaseOf(const std::string& url);

}  // namespace oep::test
