// libpq, loaded on first use. `oep` links libpqxx statically; the libpq functions it calls
// are these forwarders, which resolve the real ones from libpq.so.5 when a PostgreSQL store
// is first opened (LoadLibpq). A process that never opens one never loads libpq, nor the
// OpenSSL, Kerberos and LDAP libraries it needs: about 9 ms of start-up for every command
// otherwise, and no second OpenSSL beside the one `oep` links statically.
// Generated from the libpq functions libpqxx 6.4 references (nm -u libpqxx.a) and their
// declarations in libpq-fe.h; a declaration that changed would not compile here.
#include "store/libpq_loader.h"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace oep {
namespace {

void* g_libpq = nullptr;
std::string g_error;

void* Symbol(const char* name) {
  std::string why;
  if (!LoadLibpq(&why)) {
    std::fprintf(stderr, "oep: %s\n", why.c_str());
    std::abort();  // LoadLibpq succeeds before any PostgreSQL connection is made
  }
  void* fn = dlsym(g_libpq, name);
  if (fn == nullptr) {
    std::fprintf(stderr, "oep: libpq.so.5 has no %s\n", name);
    std::abort();
  }
  return fn;
}

}  // namespace

bool LoadLibpq(std::string* error) {
  static std::once_flag once;
  std::call_once(once, [] {
    g_libpq = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (g_libpq == nullptr) {
      const char* e = dlerror();
      g_error = std::string("cannot load libpq (apt-get install libpq5): ") + (e ? e : "unknown error");
    }
  });
  if (g_libpq == nullptr && error != nullptr) *error = g_error;
  return g_libpq != nullptr;
}

}  // namespace oep

using oep::Symbol;

extern "C" int PQbackendPID(const PGconn * a0) {
  static auto fn = reinterpret_cast<int (*)(const PGconn *)>(Symbol("PQbackendPID"));
  return fn(a0);
}

extern "C" int PQcancel(PGcancel * a0, char * a1, int a2) {
  static auto fn = reinterpret_cast<int (*)(PGcancel *, char *, int)>(Symbol("PQcancel"));
  return fn(a0, a1, a2);
}

extern "C" void PQclear(PGresult * a0) {
  static auto fn = reinterpret_cast<void (*)(PGresult *)>(Symbol("PQclear"));
  return fn(a0);
}

extern "C" int PQclientEncoding(const PGconn * a0) {
  static auto fn = reinterpret_cast<int (*)(const PGconn *)>(Symbol("PQclientEncoding"));
  return fn(a0);
}

extern "C" char * PQcmdStatus(PGresult * a0) {
  static auto fn = reinterpret_cast<char * (*)(PGresult *)>(Symbol("PQcmdStatus"));
  return fn(a0);
}

extern "C" char * PQcmdTuples(PGresult * a0) {
  static auto fn = reinterpret_cast<char * (*)(PGresult *)>(Symbol("PQcmdTuples"));
  return fn(a0);
}

extern "C" PostgresPollingStatusType PQconnectPoll(PGconn * a0) {
  static auto fn = reinterpret_cast<PostgresPollingStatusType (*)(PGconn *)>(Symbol("PQconnectPoll"));
  return fn(a0);
}

extern "C" PGconn * PQconnectStart(const char * a0) {
  static auto fn = reinterpret_cast<PGconn * (*)(const char *)>(Symbol("PQconnectStart"));
  return fn(a0);
}

extern "C" PGconn * PQconnectdb(const char * a0) {
  static auto fn = reinterpret_cast<PGconn * (*)(const char *)>(Symbol("PQconnectdb"));
  return fn(a0);
}

extern "C" int PQconsumeInput(PGconn * a0) {
  static auto fn = reinterpret_cast<int (*)(PGconn *)>(Symbol("PQconsumeInput"));
  return fn(a0);
}

extern "C" char * PQdb(const PGconn * a0) {
  static auto fn = reinterpret_cast<char * (*)(const PGconn *)>(Symbol("PQdb"));
  return fn(a0);
}

extern "C" char * PQencryptPassword(const char * a0, const char * a1) {
  static auto fn = reinterpret_cast<char * (*)(const char *, const char *)>(Symbol("PQencryptPassword"));
  return fn(a0, a1);
}

extern "C" int PQendcopy(PGconn * a0) {
  static auto fn = reinterpret_cast<int (*)(PGconn *)>(Symbol("PQendcopy"));
  return fn(a0);
}

extern "C" char * PQerrorMessage(const PGconn * a0) {
  static auto fn = reinterpret_cast<char * (*)(const PGconn *)>(Symbol("PQerrorMessage"));
  return fn(a0);
}

extern "C" unsigned char * PQescapeByteaConn(PGconn * a0, const unsigned char * a1, size_t a2, size_t * a3) {
  static auto fn = reinterpret_cast<unsigned char * (*)(PGconn *, const unsigned char *, size_t, size_t *)>(Symbol("PQescapeByteaConn"));
  return fn(a0, a1, a2, a3);
}

extern "C" char * PQescapeIdentifier(PGconn * a0, const char * a1, size_t a2) {
  static auto fn = reinterpret_cast<char * (*)(PGconn *, const char *, size_t)>(Symbol("PQescapeIdentifier"));
  return fn(a0, a1, a2);
}

extern "C" size_t PQescapeStringConn(PGconn * a0, char * a1, const char * a2, size_t a3, int * a4) {
  static auto fn = reinterpret_cast<size_t (*)(PGconn *, char *, const char *, size_t, int *)>(Symbol("PQescapeStringConn"));
  return fn(a0, a1, a2, a3, a4);
}

extern "C" PGresult * PQexec(PGconn * a0, const char * a1) {
  static auto fn = reinterpret_cast<PGresult * (*)(PGconn *, const char *)>(Symbol("PQexec"));
  return fn(a0, a1);
}

extern "C" PGresult * PQexecParams(PGconn * a0, const char * a1, int a2, const Oid * a3, const char *const * a4, const int * a5, const int * a6, int a7) {
  static auto fn = reinterpret_cast<PGresult * (*)(PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *, int)>(Symbol("PQexecParams"));
  return fn(a0, a1, a2, a3, a4, a5, a6, a7);
}

extern "C" PGresult * PQexecPrepared(PGconn * a0, const char * a1, int a2, const char *const * a3, const int * a4, const int * a5, int a6) {
  static auto fn = reinterpret_cast<PGresult * (*)(PGconn *, const char *, int, const char *const *, const int *, const int *, int)>(Symbol("PQexecPrepared"));
  return fn(a0, a1, a2, a3, a4, a5, a6);
}

extern "C" char * PQfname(const PGresult * a0, int a1) {
  static auto fn = reinterpret_cast<char * (*)(const PGresult *, int)>(Symbol("PQfname"));
  return fn(a0, a1);
}

extern "C" int PQfnumber(const PGresult * a0, const char * a1) {
  static auto fn = reinterpret_cast<int (*)(const PGresult *, const char *)>(Symbol("PQfnumber"));
  return fn(a0, a1);
}

extern "C" void PQfreeCancel(PGcancel * a0) {
  static auto fn = reinterpret_cast<void (*)(PGcancel *)>(Symbol("PQfreeCancel"));
  return fn(a0);
}

extern "C" void PQfreemem(void * a0) {
  static auto fn = reinterpret_cast<void (*)(void *)>(Symbol("PQfreemem"));
  return fn(a0);
}

extern "C" Oid PQftable(const PGresult * a0, int a1) {
  static auto fn = reinterpret_cast<Oid (*)(const PGresult *, int)>(Symbol("PQftable"));
  return fn(a0, a1);
}

extern "C" int PQftablecol(const PGresult * a0, int a1) {
  static auto fn = reinterpret_cast<int (*)(const PGresult *, int)>(Symbol("PQftablecol"));
  return fn(a0, a1);
}

extern "C" Oid PQftype(const PGresult * a0, int a1) {
  static auto fn = reinterpret_cast<Oid (*)(const PGresult *, int)>(Symbol("PQftype"));
  return fn(a0, a1);
}

extern "C" PGcancel * PQgetCancel(PGconn * a0) {
  static auto fn = reinterpret_cast<PGcancel * (*)(PGconn *)>(Symbol("PQgetCancel"));
  return fn(a0);
}

extern "C" int PQgetCopyData(PGconn * a0, char ** a1, int a2) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, char **, int)>(Symbol("PQgetCopyData"));
  return fn(a0, a1, a2);
}

extern "C" PGresult * PQgetResult(PGconn * a0) {
  static auto fn = reinterpret_cast<PGresult * (*)(PGconn *)>(Symbol("PQgetResult"));
  return fn(a0);
}

extern "C" int PQgetisnull(const PGresult * a0, int a1, int a2) {
  static auto fn = reinterpret_cast<int (*)(const PGresult *, int, int)>(Symbol("PQgetisnull"));
  return fn(a0, a1, a2);
}

extern "C" int PQgetlength(const PGresult * a0, int a1, int a2) {
  static auto fn = reinterpret_cast<int (*)(const PGresult *, int, int)>(Symbol("PQgetlength"));
  return fn(a0, a1, a2);
}

extern "C" char * PQgetvalue(const PGresult * a0, int a1, int a2) {
  static auto fn = reinterpret_cast<char * (*)(const PGresult *, int, int)>(Symbol("PQgetvalue"));
  return fn(a0, a1, a2);
}

extern "C" char * PQhost(const PGconn * a0) {
  static auto fn = reinterpret_cast<char * (*)(const PGconn *)>(Symbol("PQhost"));
  return fn(a0);
}

extern "C" int PQisBusy(PGconn * a0) {
  static auto fn = reinterpret_cast<int (*)(PGconn *)>(Symbol("PQisBusy"));
  return fn(a0);
}

extern "C" int PQisthreadsafe() {
  static auto fn = reinterpret_cast<int (*)()>(Symbol("PQisthreadsafe"));
  return fn();
}

extern "C" int PQnfields(const PGresult * a0) {
  static auto fn = reinterpret_cast<int (*)(const PGresult *)>(Symbol("PQnfields"));
  return fn(a0);
}

extern "C" PGnotify * PQnotifies(PGconn * a0) {
  static auto fn = reinterpret_cast<PGnotify * (*)(PGconn *)>(Symbol("PQnotifies"));
  return fn(a0);
}

extern "C" int PQntuples(const PGresult * a0) {
  static auto fn = reinterpret_cast<int (*)(const PGresult *)>(Symbol("PQntuples"));
  return fn(a0);
}

extern "C" Oid PQoidValue(const PGresult * a0) {
  static auto fn = reinterpret_cast<Oid (*)(const PGresult *)>(Symbol("PQoidValue"));
  return fn(a0);
}

extern "C" char * PQport(const PGconn * a0) {
  static auto fn = reinterpret_cast<char * (*)(const PGconn *)>(Symbol("PQport"));
  return fn(a0);
}

extern "C" PGresult * PQprepare(PGconn * a0, const char * a1, const char * a2, int a3, const Oid * a4) {
  static auto fn = reinterpret_cast<PGresult * (*)(PGconn *, const char *, const char *, int, const Oid *)>(Symbol("PQprepare"));
  return fn(a0, a1, a2, a3, a4);
}

extern "C" int PQprotocolVersion(const PGconn * a0) {
  static auto fn = reinterpret_cast<int (*)(const PGconn *)>(Symbol("PQprotocolVersion"));
  return fn(a0);
}

extern "C" int PQputCopyData(PGconn * a0, const char * a1, int a2) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, const char *, int)>(Symbol("PQputCopyData"));
  return fn(a0, a1, a2);
}

extern "C" int PQputCopyEnd(PGconn * a0, const char * a1) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, const char *)>(Symbol("PQputCopyEnd"));
  return fn(a0, a1);
}

extern "C" void PQreset(PGconn * a0) {
  static auto fn = reinterpret_cast<void (*)(PGconn *)>(Symbol("PQreset"));
  return fn(a0);
}

extern "C" char * PQresultErrorField(const PGresult * a0, int a1) {
  static auto fn = reinterpret_cast<char * (*)(const PGresult *, int)>(Symbol("PQresultErrorField"));
  return fn(a0, a1);
}

extern "C" char * PQresultErrorMessage(const PGresult * a0) {
  static auto fn = reinterpret_cast<char * (*)(const PGresult *)>(Symbol("PQresultErrorMessage"));
  return fn(a0);
}

extern "C" ExecStatusType PQresultStatus(const PGresult * a0) {
  static auto fn = reinterpret_cast<ExecStatusType (*)(const PGresult *)>(Symbol("PQresultStatus"));
  return fn(a0);
}

extern "C" int PQserverVersion(const PGconn * a0) {
  static auto fn = reinterpret_cast<int (*)(const PGconn *)>(Symbol("PQserverVersion"));
  return fn(a0);
}

extern "C" int PQsetClientEncoding(PGconn * a0, const char * a1) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, const char *)>(Symbol("PQsetClientEncoding"));
  return fn(a0, a1);
}

extern "C" PGVerbosity PQsetErrorVerbosity(PGconn * a0, PGVerbosity a1) {
  static auto fn = reinterpret_cast<PGVerbosity (*)(PGconn *, PGVerbosity)>(Symbol("PQsetErrorVerbosity"));
  return fn(a0, a1);
}

extern "C" PQnoticeProcessor PQsetNoticeProcessor(PGconn * a0, PQnoticeProcessor a1, void * a2) {
  static auto fn = reinterpret_cast<PQnoticeProcessor (*)(PGconn *, PQnoticeProcessor, void *)>(Symbol("PQsetNoticeProcessor"));
  return fn(a0, a1, a2);
}

extern "C" int PQsocket(const PGconn * a0) {
  static auto fn = reinterpret_cast<int (*)(const PGconn *)>(Symbol("PQsocket"));
  return fn(a0);
}

extern "C" ConnStatusType PQstatus(const PGconn * a0) {
  static auto fn = reinterpret_cast<ConnStatusType (*)(const PGconn *)>(Symbol("PQstatus"));
  return fn(a0);
}

extern "C" void PQtrace(PGconn * a0, FILE * a1) {
  static auto fn = reinterpret_cast<void (*)(PGconn *, FILE *)>(Symbol("PQtrace"));
  return fn(a0, a1);
}

extern "C" unsigned char * PQunescapeBytea(const unsigned char * a0, size_t * a1) {
  static auto fn = reinterpret_cast<unsigned char * (*)(const unsigned char *, size_t *)>(Symbol("PQunescapeBytea"));
  return fn(a0, a1);
}

extern "C" void PQuntrace(PGconn * a0) {
  static auto fn = reinterpret_cast<void (*)(PGconn *)>(Symbol("PQuntrace"));
  return fn(a0);
}

extern "C" char * PQuser(const PGconn * a0) {
  static auto fn = reinterpret_cast<char * (*)(const PGconn *)>(Symbol("PQuser"));
  return fn(a0);
}

extern "C" int lo_close(PGconn * a0, int a1) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, int)>(Symbol("lo_close"));
  return fn(a0, a1);
}

extern "C" Oid lo_creat(PGconn * a0, int a1) {
  static auto fn = reinterpret_cast<Oid (*)(PGconn *, int)>(Symbol("lo_creat"));
  return fn(a0, a1);
}

extern "C" int lo_export(PGconn * a0, Oid a1, const char * a2) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, Oid, const char *)>(Symbol("lo_export"));
  return fn(a0, a1, a2);
}

extern "C" Oid lo_import(PGconn * a0, const char * a1) {
  static auto fn = reinterpret_cast<Oid (*)(PGconn *, const char *)>(Symbol("lo_import"));
  return fn(a0, a1);
}

extern "C" int lo_lseek(PGconn * a0, int a1, int a2, int a3) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, int, int, int)>(Symbol("lo_lseek"));
  return fn(a0, a1, a2, a3);
}

extern "C" int lo_open(PGconn * a0, Oid a1, int a2) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, Oid, int)>(Symbol("lo_open"));
  return fn(a0, a1, a2);
}

extern "C" int lo_read(PGconn * a0, int a1, char * a2, size_t a3) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, int, char *, size_t)>(Symbol("lo_read"));
  return fn(a0, a1, a2, a3);
}

extern "C" int lo_tell(PGconn * a0, int a1) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, int)>(Symbol("lo_tell"));
  return fn(a0, a1);
}

extern "C" int lo_unlink(PGconn * a0, Oid a1) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, Oid)>(Symbol("lo_unlink"));
  return fn(a0, a1);
}

extern "C" int lo_write(PGconn * a0, int a1, const char * a2, size_t a3) {
  static auto fn = reinterpret_cast<int (*)(PGconn *, int, const char *, size_t)>(Symbol("lo_write"));
  return fn(a0, a1, a2, a3);
}

extern "C" const char * pg_encoding_to_char(int a0) {
  static auto fn = reinterpret_cast<const char * (*)(int)>(Symbol("pg_encoding_to_char"));
  return fn(a0);
}

extern "C" void PQfinish(PGconn* a0) {
  static auto fn = reinterpret_cast<void (*)(PGconn*)>(Symbol("PQfinish"));
  return fn(a0);
}

extern "C" int PQsendQuery(PGconn* a0, const char* a1) {
  static auto fn = reinterpret_cast<int (*)(PGconn*, const char*)>(Symbol("PQsendQuery"));
  return fn(a0, a1);
}
