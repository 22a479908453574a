// The PostgreSQL server of a test: ctest's `pg` fixture starts a throwaway
// cluster (tools/pg-cluster.sh) and passes its folder in MCPSIM_TEST_PG_DIR;
// MCPSIM_TEST_PG_URI names another server. Each test works in its own schema
// (PgTestSchema), so tests run in parallel on one cluster.
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace mcpsim::testing {

// MCPSIM_TEST_PG_URI, else the URI in $MCPSIM_TEST_PG_DIR/uri, else "" (no
// server: the test skips).
inline std::string PgUri() {
  if (const char* u = std::getenv("MCPSIM_TEST_PG_URI")) return u;
  const char* dir = std::getenv("MCPSIM_TEST_PG_DIR");
  if (!dir) return "";
  std::ifstream in(std::string(dir) + "/uri");
  std::string uri;
  std::getline(in, uri);
  return uri;
}

inline const char* kPgSkipReason =
    "PostgreSQL instance skipped: no server (set MCPSIM_TEST_PG_URI, or run under ctest, which starts "
    "one with tools/pg-cluster.sh when Debian's postgresql is installed)";

// Runs admin SQL on the test server; "" on success, else the error.
inline std::string PgAdmin(const std::string& sql) {
  PGconn* c = PQconnectdb(PgUri().c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) err = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

// A fresh schema `name` (dropped first if it exists) and the URI whose
// sessions use it (search_path) and carry it as application_name.
inline std::string PgTestSchema(const std::string& name, std::string* error) {
  *error = PgAdmin("DROP SCHEMA IF EXISTS " + name + " CASCADE; CREATE SCHEMA " + name);
  const std::string base = PgUri();
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + name +
         "&application_name=" + name;
}

}  // namespace mcpsim::testing
