// Lexical helpers for the shared SQL dialect: they know where string
// literals, quoted identifiers and comments are, and nothing else.
#ifndef CITYCODE_STORE_INTERNAL_SQL_H_
#define CITYCODE_STORE_INTERNAL_SQL_H_

#include <string>
#include <string_view>
#include <vector>

namespace citycode::store::internal {

// Splits a migration's text on the ';' that lie outside literals and
// comments; pieces holding nothing but blanks and comments are dropped.
// (A CREATE TRIGGER body, with its inner ';', is therefore not supported.)
std::vector<std::string> SplitStatements(std::string_view sql);

struct PostgresSql {
  std::string text;       // `?` as $1, $2 …; the type word BLOB as BYTEA; no WITHOUT ROWID
  int placeholders = 0;   // how many `?` there were
  bool multiple = false;  // more than one statement
  // It begins with SELECT, INSERT, UPDATE, DELETE or WITH: worth preparing
  // once per connection (DDL runs once, unprepared).
  bool reads_or_writes_rows = false;
};

// Rewrites one statement of the shared dialect for PostgreSQL. Literals,
// quoted identifiers and comments are copied untouched.
PostgresSql RewriteForPostgres(std::string_view sql);

// Text for an error message (a statement, a driver's message): one line,
// runs of blanks as one space, cut after a few hundred bytes.
std::string OneLine(std::string_view text);

}  // namespace citycode::store::internal

#endif  // CITYCODE_STORE_INTERNAL_SQL_H_
