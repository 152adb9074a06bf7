// The platform's root and signing keys and the signed lists.
#include "platform/signing_keys.h"

#include <algorithm>

#include "code/trust_list.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "platform/internal/core.h"
#include "platform/schema.h"

namespace citycode::platform {

namespace {

constexpr std::string_view kTrust = "trust";
constexpr std::string_view kRevocation = "revocation";

std::string PrivateKeyAad(std::string_view key_id) {
  return SealedAad("platform_keys", "sealed_private_key", key_id);
}

}  // namespace

const crypto::PublicKey& SigningKeys::root_public_key() const { return core_->root->public_key(); }

Result<std::string> SigningKeys::SignAllowList(const code::AllowList& list) const {
  return code::SignAllowList(list, *core_->root);
}

Result<std::string> SigningKeys::SignAllowListDelta(const code::AllowListDelta& delta) const {
  return code::SignAllowListDelta(delta, *core_->root);
}

Result<crypto::PrivateKey> PlatformCore::AddKey(store::Transaction& tx, std::string_view purpose,
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

Result<crypto::PrivateKey> PlatformCore::OpenPrivateKey(const store::Row& row) {
  CITYCODE_ASSIGN_OR_RETURN(Bytes pem, keyring.Open(row.Blob(1), PrivateKeyAad(row.Text(0))));
  return crypto::PrivateKey::FromPem(AsChars(pem));
}

Status PlatformCore::Bootstrap() {
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

Result<std::pair<std::string, crypto::PrivateKey>> PlatformCore::CurrentSigningKey(
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

// The expiry of the last unrevoked printed card a key (platform_keys row)
// signed; NULL if none.
constexpr std::string_view kLastCard =
    "(SELECT MAX(c.expires_at) FROM credentials c WHERE c.signing_key_id = platform_keys.id "
    "AND c.channel = 'card' AND c.revoked_at IS NULL)";

Result<SigningKeyInfo> SigningKeys::Rotate() {
  PlatformCore& core = *core_;
  SigningKeyInfo info;
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        const Instant now = core.clock.Now();
        const Instant starts = now + core.options.signing_key_lead;
        // The keys signing until then stop at `starts`; their credentials
        // stay verifiable until they expire.
        const store::Value cut[] = {Time(starts + core.options.credential_lifetime),
                                    Time(starts + core.options.credential_lifetime)};
        CITYCODE_RETURN_IF_ERROR(tx.Execute("UPDATE platform_keys SET not_after = ? "
                                            "WHERE purpose = 'signing' AND not_after > ?",
                                            cut)
                                     .status());
        // Except a key whose printed cards (cards.h) live longer: a card
        // cannot be re-signed, so its key stays trusted until the last
        // unrevoked one expires.
        const std::string last_card(kLastCard);
        CITYCODE_RETURN_IF_ERROR(tx.Execute("UPDATE platform_keys SET not_after = " + last_card +
                                            " WHERE purpose = 'signing' AND not_after < " +
                                            last_card)
                                     .status());
        const Instant ends =
            starts + core.options.signing_key_lifetime + core.options.credential_lifetime;
        CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey key, core.AddKey(tx, "signing", starts, ends));
        info = {.key_id = ToHex(key.public_key().key_id()),
                .algorithm = key.algorithm(),
                .not_before = starts,
                .not_after = ends,
                .signing_now = false};
        return tx.Execute("UPDATE signed_lists SET stale = 1 WHERE name = 'trust'").status();
      }));
  CITYCODE_RETURN_IF_ERROR(core.RefreshVerifier());
  return info;
}

Result<std::vector<SigningKeyInfo>> SigningKeys::List() {
  PlatformCore& core = *core_;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT id, algorithm, not_before, not_after FROM "
                           "platform_keys WHERE purpose = 'signing' ORDER BY not_before"));
  CITYCODE_ASSIGN_OR_RETURN(auto current, core.CurrentSigningKey(*tx, core.clock.Now()));
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

Result<Bytes> SigningKeys::SignVisitorPass(code::VisitorPassClaims claims) {
  PlatformCore& core = *core_;
  const Instant now = core.clock.Now();
  if (claims.valid_until <= now || claims.valid_until > now + core.options.credential_lifetime) {
    return InvalidArgument("a visitor pass must end within " +
                               std::to_string(core.options.credential_lifetime.count()) +
                               " s from now",
                           "visitor_pass_window");
  }
  if (claims.id == code::CredentialId{}) return InvalidArgument("a visitor pass needs an id");
  claims.issuer = core.options.issuer_id;
  claims.issued_at = now;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto signer, core.CurrentSigningKey(*tx, now));
  return code::IssueVisitorPass(claims, signer.second);
}

Result<code::TrustList> PlatformCore::BuildTrustList(store::Transaction& tx, Instant now) {
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

Result<code::RevocationList> PlatformCore::BuildRevocationList(store::Transaction& tx,
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

Result<SignedList> PlatformCore::GetList(std::string_view name) {
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

Status PlatformCore::RefreshVerifier() {
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

Result<SignedList> SigningKeys::TrustList() { return core_->GetList(kTrust); }
Result<SignedList> SigningKeys::RevocationList() { return core_->GetList(kRevocation); }

}  // namespace citycode::platform
