// Printed cards: issued at a hall window to a verified person, revoked at
// once.
#include "platform/cards.h"

#include "code/presentation.h"
#include "platform/internal/core.h"

namespace citycode::platform {
namespace {

Status NoCard() { return NotFound("no live printed card", "no_card"); }

// The account `person` is verified on, or nullopt; failed_precondition
// person_mismatch when the ID number is verified for another name.
Result<std::optional<std::string>> AccountOf(Identities& identities, store::Transaction& tx,
                                             const Person& person) {
  CITYCODE_ASSIGN_OR_RETURN(std::optional<Identities::Holding> holding,
                            identities.FindPerson(tx, person.id_number));
  if (!holding) return std::optional<std::string>();
  if (holding->identity.person.name != person.name) {
    return FailedPrecondition("the ID number is verified for another name", "person_mismatch");
  }
  return std::optional<std::string>(holding->citizen_id);
}

}  // namespace

const std::vector<code::Scene>& CardScenes() {
  static const std::vector<code::Scene> kScenes = {code::Scene::kGov, code::Scene::kTransit,
                                                   code::Scene::kAccess};
  return kScenes;
}

bool CardAcceptedOnline(code::Scene scene) {
  return scene == code::Scene::kGov || scene == code::Scene::kTransit;
}

Result<std::int64_t> PlatformCore::RevokeCards(store::Transaction& tx, std::string_view citizen_id,
                                               std::string_view reason) {
  const store::Value params[] = {Time(clock.Now()), Text(reason), Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto revoked, tx.Execute("UPDATE credentials SET revoked_at = ?, revoke_reason = ? WHERE "
                               "citizen_id = ? AND channel = 'card' AND revoked_at IS NULL",
                               params));
  if (revoked > 0) {
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("UPDATE signed_lists SET stale = 1 WHERE name = 'revocation'").status());
  }
  return revoked;
}

namespace {

// In `tx`: the card for an account with a verified identity, replacing its
// live card.
Result<IssuedCard> IssueIn(PlatformCore& core, store::Transaction& tx, std::string_view citizen_id,
                           const CardIssuer& issuer) {
  const Instant now = core.clock.Now();
  // Updating the citizen first serialises two windows issuing to one person.
  const store::Value touch[] = {Time(now), Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto found,
                            tx.Execute("UPDATE citizens SET updated_at = ? WHERE id = ? AND "
                                       "erased_at IS NULL",
                                       touch));
  if (found != 1) return NotFound("no such citizen");
  CITYCODE_RETURN_IF_ERROR(Identities(core).Verified(tx, citizen_id).status());
  CITYCODE_RETURN_IF_ERROR(core.RevokeCards(tx, citizen_id, "card_replaced").status());
  CITYCODE_ASSIGN_OR_RETURN(
      IssuedCredential issued,
      core.SignCredential(tx, citizen_id, {.channel = code::Channel::kCard, .card = &issuer}, now));
  return IssuedCard{.citizen_id = std::string(citizen_id),
                    .credential = issued.credential,
                    .qr_text = code::ToQrText(issued.credential),
                    .claims = std::move(issued.claims)};
}

}  // namespace

Result<IssuedCard> Cards::Issue(std::string_view citizen_id, const CardIssuer& issuer) {
  PlatformCore& core = *core_;
  IssuedCard card;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(card, IssueIn(core, tx, citizen_id, issuer));
        return OkStatus();
      }));
  // A replaced card is refused online already; the lists follow now.
  CITYCODE_RETURN_IF_ERROR(core.RefreshVerifier());
  return card;
}

Result<IssuedCard> Cards::IssueToPerson(const Person& person, const CardIssuer& issuer) {
  PlatformCore& core = *core_;
  CITYCODE_RETURN_IF_ERROR(CheckPerson(person.name, person.id_number, core.clock.Now()));
  IssuedCard card;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        Identities identities(core);
        CITYCODE_ASSIGN_OR_RETURN(std::optional<std::string> account,
                                  AccountOf(identities, tx, person));
        bool created = false;
        if (!account) {
          // Verified nowhere: an account of its own that nobody logs in to
          // (Citizens::CreateHeldAccount), so the card reaches this person
          // only. Should the person later be verified on a phone account,
          // the identity moves there and this card is revoked with it.
          CITYCODE_ASSIGN_OR_RETURN(account, Citizens(core).CreateHeldAccount(tx, person));
          created = true;
        }
        // The clerk has checked the ID card: the account is verified in
        // person at this window (an online level rises to it).
        CITYCODE_RETURN_IF_ERROR(
            identities.ConfirmInPerson(tx, *account, person, issuer.terminal_id));
        CITYCODE_ASSIGN_OR_RETURN(card, IssueIn(core, tx, *account, issuer));
        card.account_created = created;
        return OkStatus();
      }));
  CITYCODE_RETURN_IF_ERROR(core.RefreshVerifier());
  return card;
}

Result<std::vector<Card>> Cards::List(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT id, issued_at, expires_at, revoked_at, revoke_reason, "
                           "card_terminal_id FROM credentials WHERE citizen_id = ? AND "
                           "channel = 'card' ORDER BY issued_at DESC, id",
                           params));
  std::vector<Card> out;
  for (const store::Row& row : rows) {
    Card card{.issued_at = FromUnixSeconds(row.Int(1)),
              .expires_at = FromUnixSeconds(row.Int(2)),
              .revoke_reason = row.OptionalText(4).value_or(""),
              .terminal_id = row.OptionalText(5).value_or("")};
    const Bytes& id = row.Blob(0);
    if (id.size() != card.id.size()) return Internal("stored credential id has a bad size");
    std::copy(id.begin(), id.end(), card.id.begin());
    if (auto revoked = row.OptionalInt(3)) card.revoked_at = FromUnixSeconds(*revoked);
    out.push_back(std::move(card));
  }
  return out;
}

Status Cards::Revoke(std::string_view citizen_id, std::string_view reason) {
  PlatformCore& core = *core_;
  if (reason.empty() || reason.size() > 64) return InvalidArgument("reason must be 1-64 bytes");
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(std::int64_t revoked, core.RevokeCards(tx, citizen_id, reason));
        return revoked == 0 ? NoCard() : OkStatus();
      }));
  return core.RefreshVerifier();
}

Status Cards::RevokeForPerson(const Person& person, std::string_view reason) {
  PlatformCore& core = *core_;
  CITYCODE_RETURN_IF_ERROR(CheckPerson(person.name, person.id_number, core.clock.Now()));
  if (reason.empty() || reason.size() > 64) return InvalidArgument("reason must be 1-64 bytes");
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        Identities identities(core);
        CITYCODE_ASSIGN_OR_RETURN(std::optional<std::string> account,
                                  AccountOf(identities, tx, person));
        if (!account) return NoCard();
        CITYCODE_ASSIGN_OR_RETURN(std::int64_t revoked, core.RevokeCards(tx, *account, reason));
        return revoked == 0 ? NoCard() : OkStatus();
      }));
  return core.RefreshVerifier();
}

}  // namespace citycode::platform
