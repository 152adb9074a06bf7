// Opening the platform, and the upkeep that spans its concerns.
#include "platform/platform.h"

#include "crypto/hash.h"
#include "crypto/random.h"
#include "platform/internal/core.h"
#include "platform/schema.h"
#include "store/batched_delete.h"

namespace citycode::platform {

std::string NewSecret() { return Base64UrlEncode(crypto::RandomArray<32>()); }

Bytes SecretHash(std::string_view secret) {
  const auto digest = crypto::Sha256(AsBytes(secret));
  return Bytes(digest.begin(), digest.end());
}

Platform::Platform(std::unique_ptr<PlatformCore> core)
    : core_(std::move(core)),
      citizens_(*core_),
      identities_(*core_),
      devices_(*core_),
      cards_(*core_),
      organisations_(*core_),
      staff_(*core_),
      access_keys_(*core_),
      signing_keys_(*core_),
      verification_(*core_),
      activity_(*core_) {}
Platform::~Platform() = default;

store::GroupCommit& Platform::online_commits() { return core_->online_commits; }

const PlatformOptions& Platform::options() const { return core_->options; }

Result<std::unique_ptr<Platform>> Platform::Open(store::Database& db, const Clock& clock,
                                                 Keyring keyring, PlatformOptions options) {
  options.verifier.detect_replay = false;
  CITYCODE_RETURN_IF_ERROR(db.Migrate(Migrations()));
  auto core = std::make_unique<PlatformCore>(db, clock, std::move(keyring), std::move(options));
  if (core->options.identity_provider) {
    CITYCODE_ASSIGN_OR_RETURN(core->id_tokens,
                              oidc::IdTokenVerifier::Create(*core->options.identity_provider));
  }
  CITYCODE_RETURN_IF_ERROR(core->Bootstrap());
  CITYCODE_RETURN_IF_ERROR(core->RefreshVerifier());
  return std::unique_ptr<Platform>(new Platform(std::move(core)));
}

Result<std::int64_t> Platform::RewrapSealedData() {
  PlatformCore& core = *core_;
  // Every sealed column (keyed by its table's "id").
  struct Column {
    std::string_view table, column;
  };
  static constexpr Column kColumns[] = {
      {"platform_keys", "sealed_private_key"}, {"citizens", "sealed_name"},
      {"citizens", "sealed_id_number"},        {"citizens", "sealed_phone"},
      {"identities", "sealed_name"},           {"identities", "sealed_id_number"},
      {"phone_codes", "sealed_pending"},
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
          core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
            const store::Value from[] = {Text(after)};
            CITYCODE_ASSIGN_OR_RETURN(auto batch, tx.Query(select, from));
            rows = batch.size();
            for (const auto& row : batch) {
              after = row.Text(0);
              CITYCODE_ASSIGN_OR_RETURN(std::string key_id, core.keyring.MasterKeyId(row.Blob(1)));
              if (key_id == core.keyring.current_key_id()) continue;
              CITYCODE_ASSIGN_OR_RETURN(
                  Bytes rewrapped,
                  core.keyring.Rewrap(row.Blob(1), SealedAad(c.table, c.column, row.Text(0))));
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

Status Platform::PurgeExpired() {
  PlatformCore& core = *core_;
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        const store::Value now[] = {Time(core.clock.Now())};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("DELETE FROM presentations_seen WHERE expires_at < ?", now).status());
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("DELETE FROM identity_nonces WHERE expires_at < ?", now).status());
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("DELETE FROM phone_codes WHERE expires_at < ?", now).status());
        const store::Value hour_ago[] = {Time(core.clock.Now() - std::chrono::hours(1))};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("DELETE FROM phone_code_sends WHERE at < ?", hour_ago).status());
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("DELETE FROM staff_sessions WHERE expires_at < ?", now).status());
        // A card's use limit counts the last 24 hours only.
        const store::Value day_ago[] = {Time(core.clock.Now() - std::chrono::hours(24))};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("DELETE FROM card_uses WHERE at < ?", day_ago).status());
        return tx.Execute("DELETE FROM sessions WHERE expires_at < ?", now).status();
      }));
  CITYCODE_RETURN_IF_ERROR(PurgeVerifications(core.clock.Now() - core.options.keep_verifications));
  return core.RefreshVerifier();
}

Status Platform::PurgeVerifications(Instant before) {
  constexpr std::int64_t kBatch = 10'000;
  PlatformCore& core = *core_;
  const store::Value old[] = {Time(before)};
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx.Execute("DELETE FROM verification_hours WHERE hour < ?", old).status();
      }));
  return store::DeleteInBatches(core.db,
                                "DELETE FROM verifications WHERE id IN (SELECT id FROM "
                                "verifications WHERE at < ? LIMIT ?)",
                                {Time(before)}, kBatch)
      .status();
}

}  // namespace citycode::platform
