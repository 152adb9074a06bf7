// Opening the platform, its signing keys and the signed lists.
#include "platform/platform.h"

#include <algorithm>

#include "code/trust_list.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "platform/internal/impl.h"
#include "platform/schema.h"

namespace citycode::platform {

std::string NewSecret() { return Base64UrlEncode(crypto::RandomArray<32>()); }

Bytes SecretHash(std::string_view secret) {
  const auto digest = crypto::Sha256(AsBytes(secret));
  return Bytes(digest.begin(), digest.end());
}

namespace {

constexpr std::string_view kTrust = "trust";
constexpr std::string_view kRevocation = "revocation";

std::string PrivateKeyAad(std::string_view key_id) {
  return SealedAad("platform_keys", "sealed_private_key", key_id);
}

}  // namespace

Platform::Platform(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Platform::~Platform() = default;

const PlatformOptions& Platform::options() const { return impl_->options; }
const crypto::PublicKey& Platform::root_public_key() const { return impl_->root->public_key(); }

Result<std::unique_ptr<Platform>> Platform::Open(store::Database& db, const Clock& clock,
                                                 Keyring keyring, PlatformOptions options) {
  options.verifier.detect_replay = false;
  CITYCODE_RETURN_IF_ERROR(db.Migrate(Migrations()));
  auto impl = std::make_unique<Impl>(db, clock, std::move(keyring), std::move(options));
  CITYCODE_RETURN_IF_ERROR(impl->Bootstrap());
  CITYCODE_RETURN_IF_ERROR(impl->RefreshVerifier());
  return std::unique_ptr<Platform>(new Platform(std::move(impl)));
}

Result<crypto::PrivateKey> Platform::Impl::AddKey(store::Transaction& tx, std::string_view purpose,
                                                  Instant not_before, Instant not_after) {
  CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                            crypto::PrivateKey::Generate(options.algorithm));
  const std::string id = ToHex(key.public_key().key_id());
  const std::string pem = key.ToPem();
  const Bytes sealed = keyring.Seal(AsBytes(pem), PrivateKeyAad(id));
  const store::Value params[] = {Text(id),
                                 Text(purpose),
                                 Text(crypto::CliName(options.algorithm)),
                                 Text(key.public_key().ToPem()),
                                 Blob(sealed),
                                 Time(not_before),
                                 Time(not_after),
                                 Time(clock.Now())};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO platform_keys (id, purpose, algorithm, public_key_pem, "
                 "sealed_private_key, not_before, not_after, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 params)
          .status());
  return key;
}

Result<crypto::PrivateKey> Platform::Impl::OpenPrivateKey(const store::Row& row) {
  CITYCODE_ASSIGN_OR_RETURN(Bytes pem, keyring.Open(row.Blob(1), PrivateKeyAad(row.Text(0))));
  return crypto::PrivateKey::FromPem(AsChars(pem));
}

Status Platform::Impl::Bootstrap() {
  return store::RunInTransaction(db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto root_row,
        tx.QueryOptional(
            "SELECT id, sealed_private_key FROM platform_keys WHERE purpose = 'root'"));
    const Instant now = clock.Now();
    if (root_row) {
      CITYCODE_ASSIGN_OR_RETURN(root, OpenPrivateKey(*root_row));
      return OkStatus();
    }
    // A new platform: the root key signs the lists; the first signing key
    // signs at once (no terminal holds an older trust list to wait for).
    CITYCODE_ASSIGN_OR_RETURN(root, AddKey(tx, "root", now, now + std::chrono::days(3650)));
    CITYCODE_RETURN_IF_ERROR(
        AddKey(tx, "signing", now, now + options.signing_key_lifetime + options.credential_lifetime)
            .status());
    return OkStatus();
  });
}

Result<std::pair<std::string, crypto::PrivateKey>> Platform::Impl::CurrentSigningKey(
    store::Transaction& tx, Instant now) {
  const store::Value params[] = {Time(now), Time(now + options.credential_lifetime)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional("SELECT id, sealed_private_key FROM platform_keys "
                                 "WHERE purpose = 'signing' AND not_before <= ? AND not_after >= ? "
                                 "ORDER BY not_before DESC LIMIT 1",
                                 params));
  if (!row) return FailedPrecondition("no signing key is valid now; rotate the signing key");
  std::lock_guard lock(signing_mutex);
  auto cached = signing_keys.find(row->Text(0));
  if (cached == signing_keys.end()) {
    CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey key, OpenPrivateKey(*row));
    cached = signing_keys.emplace(row->Text(0), std::move(key)).first;
  }
  return std::make_pair(cached->first, cached->second);
}

Result<SigningKeyInfo> Platform::RotateSigningKey() {
  Impl& impl = *impl_;
  SigningKeyInfo info;
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        const Instant now = impl.clock.Now();
        const Instant starts = now + impl.options.signing_key_lead;
        // The keys signing until then stop at `starts`; their credentials
        // stay verifiable until they expire.
        const store::Value cut[] = {Time(starts + impl.options.credential_lifetime),
                                    Time(starts + impl.options.credential_lifetime)};
        CITYCODE_RETURN_IF_ERROR(tx.Execute("UPDATE platform_keys SET not_after = ? "
                                            "WHERE purpose = 'signing' AND not_after > ?",
                                            cut)
                                     .status());
        const Instant ends =
            starts + impl.options.signing_key_lifetime + impl.options.credential_lifetime;
        CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey key, impl.AddKey(tx, "signing", starts, ends));
        info = {.key_id = ToHex(key.public_key().key_id()),
                .algorithm = key.algorithm(),
                .not_before = starts,
                .not_after = ends,
                .signing_now = false};
        return tx.Execute("UPDATE signed_lists SET stale = 1 WHERE name = 'trust'").status();
      }));
  CITYCODE_RETURN_IF_ERROR(impl.RefreshVerifier());
  return info;
}

Result<std::vector<SigningKeyInfo>> Platform::ListSigningKeys() {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT id, algorithm, not_before, not_after FROM "
                           "platform_keys WHERE purpose = 'signing' ORDER BY not_before"));
  CITYCODE_ASSIGN_OR_RETURN(auto current, impl.CurrentSigningKey(*tx, impl.clock.Now()));
  std::vector<SigningKeyInfo> out;
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(crypto::Algorithm alg, crypto::AlgorithmFromCliName(row.Text(1)));
    out.push_back({.key_id = row.Text(0),
                   .algorithm = alg,
                   .not_before = FromUnixSeconds(row.Int(2)),
                   .not_after = FromUnixSeconds(row.Int(3)),
                   .signing_now = row.Text(0) == current.first});
  }
  return out;
}

Result<code::TrustList> Platform::Impl::BuildTrustList(store::Transaction& tx, Instant now) {
  const store::Value params[] = {Time(now)};
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT public_key_pem, not_before, not_after "
                                                "FROM platform_keys WHERE purpose = 'signing' "
                                                "AND not_after > ? ORDER BY id",
                                                params));
  code::TrustList list{.issuer = options.issuer_id,
                       .issued_at = now,
                       .expires_at = now + options.trust_list_lifetime};
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::FromPem(row.Text(0)));
    list.keys.push_back({.key = std::move(key),
                         .not_before = FromUnixSeconds(row.Int(1)),
                         .not_after = FromUnixSeconds(row.Int(2))});
  }
  return list;
}

Result<code::RevocationList> Platform::Impl::BuildRevocationList(store::Transaction& tx,
                                                                 Instant now) {
  const store::Value params[] = {Time(now)};
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id FROM credentials WHERE revoked_at IS "
                                                "NOT NULL AND expires_at > ?",
                                                params));
  code::RevocationList list{.issued_at = now, .expires_at = now + options.revocation_list_lifetime};
  list.entries.reserve(rows.size());
  for (const auto& row : rows) {
    const Bytes& id = row.Blob(0);
    if (id.size() != code::kCredentialIdSize)
      return Internal("stored credential id has a bad size");
    code::CredentialId cti;
    std::copy(id.begin(), id.end(), cti.begin());
    list.entries.push_back(code::RevocationEntryFor(cti));
  }
  std::sort(list.entries.begin(), list.entries.end());
  list.entries.erase(std::unique(list.entries.begin(), list.entries.end()), list.entries.end());
  return list;
}

Result<SignedList> Platform::Impl::GetList(std::string_view name) {
  const auto lifetime =
      name == kTrust ? options.trust_list_lifetime : options.revocation_list_lifetime;
  const auto fresh_enough = [&](const store::Row& row, Instant now) {
    return row.Int(4) == 0 && FromUnixSeconds(row.Int(3)) - now > lifetime / 2;
  };
  const auto to_list = [&](const store::Row& row) {
    const auto version = static_cast<std::uint64_t>(row.Int(0));
    return SignedList{.version = version,
                      .jws = row.Text(1),
                      .etag = "\"" + std::string(name) + "-" + std::to_string(version) + "\""};
  };
  constexpr std::string_view kSelect =
      "SELECT version, jws, issued_at, expires_at, stale FROM signed_lists WHERE name = ?";
  const store::Value key[] = {Text(name)};
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(auto row, tx->QueryOptional(kSelect, key));
    if (row && fresh_enough(*row, clock.Now())) return to_list(*row);
  }
  SignedList out;
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        const Instant now = clock.Now();
        CITYCODE_ASSIGN_OR_RETURN(auto row, tx.QueryOptional(kSelect, key));
        if (row && fresh_enough(*row, now)) {  // another caller re-signed it meanwhile
          out = to_list(*row);
          return OkStatus();
        }
        const std::uint64_t version = row ? static_cast<std::uint64_t>(row->Int(0)) + 1 : 1;
        std::string jws;
        Instant expires_at;
        if (name == kTrust) {
          CITYCODE_ASSIGN_OR_RETURN(code::TrustList list, BuildTrustList(tx, now));
          list.version = version;
          expires_at = list.expires_at;
          CITYCODE_ASSIGN_OR_RETURN(jws, code::SignTrustList(list, *root));
        } else {
          CITYCODE_ASSIGN_OR_RETURN(code::RevocationList list, BuildRevocationList(tx, now));
          list.version = version;
          expires_at = list.expires_at;
          CITYCODE_ASSIGN_OR_RETURN(jws, code::SignRevocationList(list, *root));
        }
        const store::Value params[] = {Text(name), Int(static_cast<std::int64_t>(version)),
                                       Text(jws), Time(now), Time(expires_at)};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute(
                  "INSERT INTO signed_lists (name, version, jws, issued_at, expires_at, stale) "
                  "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (name) DO UPDATE SET "
                  "version = excluded.version, jws = excluded.jws, "
                  "issued_at = excluded.issued_at, expires_at = excluded.expires_at, stale = 0",
                  params)
                .status());
        out = SignedList{.version = version,
                         .jws = std::move(jws),
                         .etag = "\"" + std::string(name) + "-" + std::to_string(version) + "\""};
        return OkStatus();
      }));
  return out;
}

Status Platform::Impl::RefreshVerifier() {
  CITYCODE_ASSIGN_OR_RETURN(SignedList trust_jws, GetList(kTrust));
  CITYCODE_ASSIGN_OR_RETURN(SignedList revocation_jws, GetList(kRevocation));
  std::lock_guard lock(refresh_mutex);
  const bool new_trust = !verifier || trust_jws.version > trust_version_loaded;
  const bool new_revocation = !verifier || revocation_jws.version > revocation_version_loaded;
  // Parse what terminals download, so the online verifier sees exactly that.
  std::optional<code::TrustList> trust;
  std::optional<code::RevocationList> revocation;
  if (new_trust) {
    CITYCODE_ASSIGN_OR_RETURN(trust, code::VerifyTrustList(trust_jws.jws, root->public_key()));
  }
  if (new_revocation) {
    CITYCODE_ASSIGN_OR_RETURN(revocation,
                              code::VerifyRevocationList(revocation_jws.jws, root->public_key()));
  }
  if (!verifier) {  // only in Open, before any other thread sees the platform
    verifier = std::make_unique<code::Verifier>(clock, std::move(*trust), std::move(*revocation),
                                                options.verifier);
  } else {
    if (trust) CITYCODE_RETURN_IF_ERROR(verifier->UpdateTrustList(std::move(*trust)));
    if (revocation)
      CITYCODE_RETURN_IF_ERROR(verifier->UpdateRevocationList(std::move(*revocation)));
  }
  if (new_trust) trust_version_loaded = trust_jws.version;
  if (new_revocation) revocation_version_loaded = revocation_jws.version;
  return OkStatus();
}

Result<std::int64_t> Platform::RewrapSealedData() {
  Impl& impl = *impl_;
  // Every sealed column (keyed by its table's "id").
  struct Column {
    std::string_view table, column;
  };
  static constexpr Column kColumns[] = {
      {"platform_keys", "sealed_private_key"},
      {"citizens", "sealed_name"},
      {"citizens", "sealed_id_number"},
      {"citizens", "sealed_phone"},
  };
  std::int64_t changed = 0;
  for (const Column& c : kColumns) {
    const std::string table(c.table), column(c.column);
    const std::string select =
        "SELECT id, " + column + " FROM " + table + " WHERE id > ? ORDER BY id LIMIT 500";
    const std::string update =
        "UPDATE " + table + " SET " + column + " = ? WHERE id = ? AND " + column + " = ?";
    // In batches, each its own transaction, so a large table never holds
    // the write lock for long; the update checks the old value, so a row
    // changed meanwhile is left for the next run.
    for (std::string after;;) {
      std::size_t rows = 0;
      CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
          impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
            const store::Value from[] = {Text(after)};
            CITYCODE_ASSIGN_OR_RETURN(auto batch, tx.Query(select, from));
            rows = batch.size();
            for (const auto& row : batch) {
              after = row.Text(0);
              CITYCODE_ASSIGN_OR_RETURN(std::string key_id, impl.keyring.MasterKeyId(row.Blob(1)));
              if (key_id == impl.keyring.current_key_id()) continue;
              CITYCODE_ASSIGN_OR_RETURN(
                  Bytes rewrapped,
                  impl.keyring.Rewrap(row.Blob(1), SealedAad(c.table, c.column, row.Text(0))));
              const store::Value params[] = {Blob(rewrapped), Text(row.Text(0)), Blob(row.Blob(1))};
              CITYCODE_ASSIGN_OR_RETURN(auto n, tx.Execute(update, params));
              changed += n;
            }
            return OkStatus();
          }));
      if (rows < 500) break;
    }
  }
  return changed;
}

Result<SignedList> Platform::TrustList() { return impl_->GetList(kTrust); }
Result<SignedList> Platform::RevocationList() { return impl_->GetList(kRevocation); }

}  // namespace citycode::platform
