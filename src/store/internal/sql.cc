#include "store/internal/sql.h"

#include <cctype>

namespace citycode::store::internal {
namespace {

constexpr std::size_t kMaxMessageText = 200;

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
// Bytes >= 0x80 belong to UTF-8 letters, which both dialects allow in names.
bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

bool StartsComment(std::string_view sql, std::size_t i) {
  return i + 1 < sql.size() &&
         ((sql[i] == '-' && sql[i + 1] == '-') || (sql[i] == '/' && sql[i + 1] == '*'));
}

// If a string literal, quoted identifier or comment starts at sql[i], the
// index just past it (the end of `sql` if it is unterminated); otherwise i.
std::size_t SkipOpaque(std::string_view sql, std::size_t i) {
  const std::size_t n = sql.size();
  const char c = sql[i];
  // A doubled quote stands for itself; `backslash` lets \ escape anything.
  auto quoted = [&](char quote, bool backslash) {
    std::size_t j = i + 1;
    while (j < n) {
      if (backslash && sql[j] == '\\') {
        j += 2;
      } else if (sql[j] == quote) {
        if (j + 1 < n && sql[j + 1] == quote) {
          j += 2;
        } else {
          return j + 1;
        }
      } else {
        ++j;
      }
    }
    return n;
  };
  if (c == '\'') {
    // PostgreSQL's E'…' strings take backslash escapes, \' among them.
    const bool escapes =
        i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !IsIdentChar(sql[i - 2]));
    return quoted('\'', escapes);
  }
  if (c == '"' || c == '`') return quoted(c, false);
  if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
    const std::size_t end = sql.find('\n', i);
    return end == std::string_view::npos ? n : end;
  }
  if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
    // PostgreSQL nests block comments; SQLite never sees a nested one in
    // shared SQL, so nesting is the safe reading for both.
    int depth = 0;
    std::size_t j = i;
    while (j + 1 < n) {
      if (sql[j] == '/' && sql[j + 1] == '*') {
        ++depth;
        j += 2;
      } else if (sql[j] == '*' && sql[j + 1] == '/') {
        j += 2;
        if (--depth == 0) return j;
      } else {
        ++j;
      }
    }
    return n;
  }
  if (c == '$' && (i == 0 || !IsIdentChar(sql[i - 1]))) {
    // PostgreSQL dollar quoting: $$…$$ or $tag$…$tag$ ($1 is not a tag).
    std::size_t j = i + 1;
    if (j < n && IsIdentStart(sql[j])) {
      while (j < n && IsIdentChar(sql[j]) && sql[j] != '$') ++j;
    }
    if (j < n && sql[j] == '$') {
      const std::string_view tag = sql.substr(i, j - i + 1);
      const std::size_t end = sql.find(tag, j + 1);
      return end == std::string_view::npos ? n : end + tag.size();
    }
  }
  return i;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool IsRowVerb(std::string_view word) {
  for (const std::string_view verb : {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}) {
    if (EqualsIgnoreCase(word, verb)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> SplitStatements(std::string_view sql) {
  std::vector<std::string> statements;
  std::size_t start = 0;
  bool has_code = false;  // anything besides blanks and comments
  for (std::size_t i = 0; i < sql.size();) {
    const std::size_t end = SkipOpaque(sql, i);
    if (end != i) {
      if (!StartsComment(sql, i)) has_code = true;
      i = end;
      continue;
    }
    if (sql[i] == ';') {
      if (has_code) statements.emplace_back(Trim(sql.substr(start, i - start)));
      start = i + 1;
      has_code = false;
    } else if (!IsSpace(sql[i])) {
      has_code = true;
    }
    ++i;
  }
  if (has_code) statements.emplace_back(Trim(sql.substr(start)));
  return statements;
}

PostgresSql RewriteForPostgres(std::string_view sql) {
  PostgresSql out;
  out.text.reserve(sql.size() + 16);
  bool ended = false;  // a top-level ';' has been seen
  for (std::size_t i = 0; i < sql.size();) {
    const std::size_t end = SkipOpaque(sql, i);
    if (end != i) {
      if (ended && !StartsComment(sql, i)) out.multiple = true;
      out.text.append(sql.substr(i, end - i));
      i = end;
      continue;
    }
    const char c = sql[i];
    if (c == ';') {
      ended = true;
    } else if (ended && !IsSpace(c)) {
      out.multiple = true;
    }
    if (c == '?') {
      out.text += '$';
      out.text += std::to_string(++out.placeholders);
      ++i;
    } else if (IsIdentStart(c) && (i == 0 || !IsIdentChar(sql[i - 1]))) {
      std::size_t j = i;
      while (j < sql.size() && IsIdentChar(sql[j])) ++j;
      const std::string_view word = sql.substr(i, j - i);
      if (out.text.find_first_not_of(" \t\r\n(") == std::string::npos) {
        out.reads_or_writes_rows = IsRowVerb(word);
      }
      // A table's WITHOUT ROWID option (SQLite: the rows live in the primary
      // key's B-tree) has no PostgreSQL counterpart and is left out.
      if (EqualsIgnoreCase(word, "WITHOUT")) {
        std::size_t k = j;
        while (k < sql.size() && IsSpace(sql[k])) ++k;
        std::size_t e = k;
        while (e < sql.size() && IsIdentChar(sql[e])) ++e;
        if (EqualsIgnoreCase(sql.substr(k, e - k), "ROWID")) {
          i = e;
          continue;
        }
      }
      out.text.append(EqualsIgnoreCase(word, "BLOB") ? std::string_view("BYTEA") : word);
      i = j;
    } else {
      out.text += c;
      ++i;
    }
  }
  return out;
}

std::string OneLine(std::string_view text) {
  std::string out;
  bool blank = false;
  for (char c : Trim(text)) {
    if (IsSpace(c)) {
      blank = true;
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  if (out.size() > kMaxMessageText) {
    std::size_t cut = kMaxMessageText;
    // Never cut a UTF-8 sequence in two.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "…";
  }
  return out;
}

}  // namespace citycode::store::internal
