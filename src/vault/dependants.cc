// Dependants: a guardian acts for a child or an adult ward, on the strength
// of a guardianship certificate an agency issued into the vault that names
// both. The link lives only as long as that certificate supports it.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "vault/internal/impl.h"

namespace citycode::vault {
namespace {

using platform::AssuranceLevel;
using platform::Person;
using platform::VerifiedIdentity;

constexpr std::string_view kGuardianshipKey = "guardianship_certificate";
constexpr std::string_view kLinkColumns =
    "id, guardian_id, dependant_id, certificate, ward_kind, started_at, ended_at, end_reason";

struct Link {
  std::string id, guardian_id, dependant_id, certificate, ward_kind;
  Instant started_at{};
  std::optional<Instant> ended_at;
  std::string end_reason;
};

Link LinkFromRow(const store::Row& row) {
  Link link{.id = row.Text(0),
            .guardian_id = row.Text(1),
            .dependant_id = row.Text(2),
            .certificate = row.Text(3),
            .ward_kind = row.Text(4),
            .started_at = FromUnixSeconds(row.Int(5))};
  if (auto ended = row.OptionalInt(6)) link.ended_at = FromUnixSeconds(*ended);
  link.end_reason = row.OptionalText(7).value_or("");
  return link;
}

Result<std::vector<Link>> QueryLinks(store::Transaction& tx, std::string_view where,
                                     std::span<const store::Value> params) {
  CITYCODE_ASSIGN_OR_RETURN(auto rows,
                            tx.Query("SELECT " + std::string(kLinkColumns) +
                                         " FROM vault_guardianships WHERE " + std::string(where),
                                     params));
  std::vector<Link> links;
  for (const store::Row& row : rows) links.push_back(LinkFromRow(row));
  return links;
}

const std::string& GuardianshipCode() {
  static const std::string code = FindCertificateType(kGuardianshipKey)->code;
  return code;
}

std::string Field(const Certificate& c, std::string_view key) {
  auto it = c.fields.find(std::string(key));
  return it == c.fields.end() ? std::string() : it->second;
}

// Whether the certificate names `guardian` as the guardian of `dependant`.
bool Names(const Certificate& c, const Person& guardian, const Person& dependant) {
  return c.holder_id_number == dependant.id_number && c.holder_name == dependant.name &&
         Field(c, "guardian_id_number") == guardian.id_number &&
         Field(c, "guardian_name") == guardian.name;
}

}  // namespace

// Why a guardian link no longer holds ("" while it does), as of `now`.
Result<std::string> Vault::Impl::LinkProblem(store::Transaction& tx, const std::string& guardian_id,
                                             const std::string& dependant_id,
                                             const std::string& certificate, Instant now) {
  CITYCODE_ASSIGN_OR_RETURN(std::optional<VerifiedIdentity> guardian,
                            platform.identities().Find(tx, guardian_id));
  if (!guardian) return std::string("guardian_identity_changed");
  CITYCODE_ASSIGN_OR_RETURN(std::optional<VerifiedIdentity> dependant,
                            platform.identities().Find(tx, dependant_id));
  if (!dependant || dependant->method != "guardianship") {
    return std::string("dependant_verified_elsewhere");
  }
  const store::Value params[] = {Text(certificate)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional("SELECT sealed, issuer_org_id FROM vault_certificates WHERE "
                                 "identifier = ?",
                                 params));
  if (!row) return std::string("certificate_not_held");
  CITYCODE_ASSIGN_OR_RETURN(CheckedCertificate checked, OpenChecked(tx, certificate, row->Blob(0),
                                                                    row->Text(1), LocalDate(now)));
  if (!checked.problem.empty()) return "certificate_" + checked.problem;
  const Certificate& c = checked.fetched.certificate.certificate;
  if (!Names(c, guardian->person, dependant->person)) return std::string("certificate_mismatch");
  if (Field(c, "ward_kind") == "minor" &&
      platform::AgeInYears(dependant->person.id_number, now) >= options.guardian_minor_age) {
    return std::string("dependant_of_age");
  }
  return std::string();
}

Status Vault::Impl::EndLink(store::Transaction& tx, const std::string& link_id,
                            const std::string& guardian_id, const std::string& dependant_id,
                            std::string_view reason) {
  const Instant now = clock.Now();
  const store::Value end[] = {Time(now), Text(reason), Text(link_id)};
  CITYCODE_RETURN_IF_ERROR(tx.Execute("UPDATE vault_guardianships SET ended_at = ?, end_reason = "
                                      "? WHERE id = ? AND ended_at IS NULL",
                                      end)
                               .status());
  CITYCODE_RETURN_IF_ERROR(
      platform.devices().EndHeldBy(tx, dependant_id, guardian_id, "guardianship_ended"));
  const store::Value dependant[] = {Text(dependant_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto live, tx.QueryOne("SELECT COUNT(*) FROM vault_guardianships "
                                                   "WHERE dependant_id = ? AND ended_at IS NULL",
                                                   dependant));
  if (live.Int(0) == 0) {
    CITYCODE_ASSIGN_OR_RETURN(std::optional<VerifiedIdentity> identity,
                              platform.identities().Find(tx, dependant_id));
    if (identity && identity->method == "guardianship") {
      CITYCODE_RETURN_IF_ERROR(platform.identities().Withdraw(tx, dependant_id, reason));
    }
  }
  return Audit(tx, {.action = "dependant.unlink",
                    .actor = guardian_id,
                    .subject = dependant_id,
                    .detail = nlohmann::json({{"reason", reason}}).dump()})
      .status();
}

Result<std::int64_t> Vault::Impl::ReviewLinks(store::Transaction& tx, std::string_view where,
                                              std::span<const store::Value> params) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Link> links, QueryLinks(tx, where, params));
  std::int64_t ended = 0;
  const Instant now = clock.Now();
  for (const Link& link : links) {
    CITYCODE_ASSIGN_OR_RETURN(
        std::string problem,
        LinkProblem(tx, link.guardian_id, link.dependant_id, link.certificate, now));
    if (problem.empty()) continue;
    CITYCODE_RETURN_IF_ERROR(EndLink(tx, link.id, link.guardian_id, link.dependant_id, problem));
    ++ended;
  }
  return ended;
}

Result<Certificate> Vault::Impl::FindGuardianship(store::Transaction& tx, const Person& guardian,
                                                  const Person& dependant, Instant now) {
  const store::Value params[] = {
      Blob(HolderIndex(keyring, HolderIdTypeCode(HolderIdType::kCitizenIdNumber),
                       dependant.id_number)),
      Text(GuardianshipCode())};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx.Query("SELECT identifier, sealed, issuer_org_id FROM vault_certificates "
                          "WHERE holder_index = ? AND type_code = ? ORDER BY identifier",
                          params));
  for (const store::Row& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto checked, OpenChecked(tx, row.Text(0), row.Blob(1), row.Text(2), LocalDate(now)));
    const Certificate& c = checked.fetched.certificate.certificate;
    const std::string kind = Field(c, "ward_kind");
    if (checked.problem.empty() && Names(c, guardian, dependant) &&
        (kind == "minor" || kind == "adult")) {
      return c;
    }
  }
  return FailedPrecondition("no valid guardianship certificate names you as this person's guardian",
                            "no_guardianship_certificate");
}

Result<Dependant> Vault::AddDependant(std::string_view guardian_id, const Person& person) {
  Impl& impl = *impl_;
  const Instant now = impl.clock.Now();
  CITYCODE_RETURN_IF_ERROR(platform::CheckPerson(person.name, person.id_number, now));
  std::string dependant_id;
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(std::optional<VerifiedIdentity> guardian,
                                  impl.platform.identities().Find(tx, guardian_id));
        if (!guardian) {
          return FailedPrecondition("verify your own identity before adding a dependant",
                                    "identity_not_verified");
        }
        CITYCODE_ASSIGN_OR_RETURN(Certificate certificate,
                                  impl.FindGuardianship(tx, guardian->person, person, now));
        const std::string ward_kind = Field(certificate, "ward_kind");
        if (ward_kind == "minor" &&
            platform::AgeInYears(person.id_number, now) >= impl.options.guardian_minor_age) {
          return FailedPrecondition("a minor of this age verifies their own identity",
                                    "dependant_too_old");
        }
        CITYCODE_ASSIGN_OR_RETURN(auto holding,
                                  impl.platform.identities().FindPerson(tx, person.id_number));
        if (holding && holding->identity.method != "guardianship") {
          return FailedPrecondition("this person is verified on an account of their own",
                                    "dependant_has_account");
        }
        if (holding) {
          dependant_id = holding->citizen_id;  // another guardian's dependant already
        } else {
          CITYCODE_ASSIGN_OR_RETURN(dependant_id,
                                    impl.platform.citizens().CreateHeldAccount(tx, person));
          CITYCODE_RETURN_IF_ERROR(impl.platform.identities().ConfirmThroughGuardian(
              tx, dependant_id, person, guardian->level, certificate.identifier));
        }
        const store::Value params[] = {Text(RandomId("gdn")), Text(guardian_id),
                                       Text(dependant_id),    Text(certificate.identifier),
                                       Text(ward_kind),       Time(now)};
        const Status inserted =
            tx.Execute(
                  "INSERT INTO vault_guardianships (id, guardian_id, dependant_id, "
                  "certificate, ward_kind, started_at) VALUES (?, ?, ?, ?, ?, ?)",
                  params)
                .status();
        if (inserted.code() == StatusCode::kAlreadyExists) {
          return AlreadyExists("this person is your dependant already");
        }
        CITYCODE_RETURN_IF_ERROR(inserted);
        CITYCODE_ASSIGN_OR_RETURN(
            seq, impl.Audit(tx, {.action = "dependant.link",
                                 .actor = std::string(guardian_id),
                                 .subject = dependant_id,
                                 .object = certificate.identifier,
                                 .detail = nlohmann::json({{"ward_kind", ward_kind}}).dump()}));
        return OkStatus();
      }));
  impl.CheckpointIfDue(seq);
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Dependant> all, ListDependants(guardian_id));
  for (Dependant& d : all) {
    if (d.citizen_id == dependant_id && !d.ended_at) return std::move(d);
  }
  return Internal("the new dependant is not listed");
}

Result<std::vector<Dependant>> Vault::ListDependants(std::string_view guardian_id) {
  Impl& impl = *impl_;
  std::vector<Link> links;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    const store::Value params[] = {Text(guardian_id)};
    CITYCODE_ASSIGN_OR_RETURN(
        links, QueryLinks(*tx, "guardian_id = ? ORDER BY started_at DESC, id", params));
  }
  std::vector<Dependant> out;
  for (Link& link : links) {
    CITYCODE_ASSIGN_OR_RETURN(platform::CitizenProfile profile,
                              impl.platform.citizens().Get(link.dependant_id));
    out.push_back({.citizen_id = std::move(link.dependant_id),
                   .name = std::move(profile.name),
                   .id_number_masked = std::move(profile.id_number_masked),
                   .ward_kind = std::move(link.ward_kind),
                   .certificate = std::move(link.certificate),
                   .since = link.started_at,
                   .ended_at = link.ended_at,
                   .end_reason = std::move(link.end_reason)});
  }
  return out;
}

Result<std::string> Vault::ActFor(std::string_view guardian_id, std::string_view dependant_id) {
  Impl& impl = *impl_;
  constexpr std::string_view kPair = "guardian_id = ? AND dependant_id = ?";
  constexpr std::string_view kLivePair =
      "guardian_id = ? AND dependant_id = ? AND ended_at IS NULL";
  const store::Value params[] = {Text(guardian_id), Text(dependant_id)};
  std::size_t links = 0, live = 0;
  std::int64_t ended = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(std::vector<Link> all, QueryLinks(tx, kPair, params));
        links = all.size();
        const auto was_live =
            std::count_if(all.begin(), all.end(), [](const Link& link) { return !link.ended_at; });
        CITYCODE_ASSIGN_OR_RETURN(ended, impl.ReviewLinks(tx, kLivePair, params));
        live = static_cast<std::size_t>(was_live - ended);
        return OkStatus();
      }));
  if (ended > 0) CITYCODE_RETURN_IF_ERROR(impl.platform.devices().PublishRevocations());
  if (links == 0) return NotFound("no such dependant", "dependant_not_found");
  if (live == 0) {
    return FailedPrecondition("your guardianship of this person has ended", "guardianship_ended");
  }
  return std::string(dependant_id);
}

namespace {

Status LinkEnded() {
  return PermissionDenied("the code is held for a dependant whose guardian link has ended",
                          "guardianship_ended");
}

}  // namespace

// The link is reviewed hourly; a dependant come of age, or verified on
// their own account, must not be acted for in the meantime.
Result<platform::OnlineVerification> Vault::VerifyForAction(const platform::Principal& terminal,
                                                            std::string_view qr_text) {
  CITYCODE_ASSIGN_OR_RETURN(platform::OnlineVerification verification,
                            impl_->platform.verification().VerifyForAction(terminal, qr_text));
  if (verification.result.held_by_guardian) {
    auto link = ActFor(verification.guardian_id, verification.citizen_id);
    if (!link.ok()) {
      if (link.status().code() != StatusCode::kFailedPrecondition &&
          link.status().code() != StatusCode::kNotFound) {
        return link.status();
      }
      return LinkEnded();
    }
  }
  return verification;
}

Status Vault::CheckGuardianLink(store::Transaction& tx,
                                const platform::OnlineVerification& verification) {
  if (!verification.result.held_by_guardian) return OkStatus();
  const store::Value pair[] = {Text(verification.guardian_id), Text(verification.citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<Link> live,
      QueryLinks(tx, "guardian_id = ? AND dependant_id = ? AND ended_at IS NULL", pair));
  for (const Link& link : live) {
    CITYCODE_ASSIGN_OR_RETURN(std::string problem,
                              impl_->LinkProblem(tx, link.guardian_id, link.dependant_id,
                                                 link.certificate, impl_->clock.Now()));
    if (problem.empty()) return OkStatus();
  }
  return LinkEnded();
}

Status Vault::EndDependant(std::string_view guardian_id, std::string_view dependant_id) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value params[] = {Text(guardian_id), Text(dependant_id)};
        CITYCODE_ASSIGN_OR_RETURN(
            std::vector<Link> live,
            QueryLinks(tx, "guardian_id = ? AND dependant_id = ? AND ended_at IS NULL", params));
        if (live.empty()) return NotFound("no live link to this dependant", "dependant_not_found");
        return impl.EndLink(tx, live.front().id, live.front().guardian_id,
                            live.front().dependant_id, "ended_by_guardian");
      }));
  return impl.platform.devices().PublishRevocations();
}

Status Vault::ForgetCitizen(std::string_view citizen_id) {
  Impl& impl = *impl_;
  const std::string id(citizen_id);
  std::int64_t seq = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const Instant now = impl.clock.Now();
        const store::Value grants[] = {Time(now), Text(id), Time(now)};
        CITYCODE_ASSIGN_OR_RETURN(
            std::int64_t revoked,
            tx.Execute("UPDATE vault_grants SET revoked_at = ? WHERE citizen_id = ? AND "
                       "revoked_at IS NULL AND expires_at > ?",
                       grants));
        const store::Value mine[] = {Text(id), Text(id)};
        CITYCODE_ASSIGN_OR_RETURN(
            std::vector<Link> links,
            QueryLinks(tx, "(guardian_id = ? OR dependant_id = ?) AND ended_at IS NULL", mine));
        for (const Link& link : links) {
          CITYCODE_RETURN_IF_ERROR(
              impl.EndLink(tx, link.id, link.guardian_id, link.dependant_id, "account_deleted"));
        }
        CITYCODE_ASSIGN_OR_RETURN(
            seq, impl.Audit(tx, {.action = "account.delete",
                                 .actor = id,
                                 .subject = id,
                                 .detail = nlohmann::json({{"grants_revoked", revoked},
                                                           {"guardian_links_ended", links.size()}})
                                               .dump()}));
        return OkStatus();
      }));
  impl.CheckpointIfDue(seq);
  return impl.platform.devices().PublishRevocations();
}

Result<std::int64_t> Vault::ReviewDependants(bool now_due) {
  Impl& impl = *impl_;
  const std::int64_t now = ToUnixSeconds(impl.clock.Now());
  const std::int64_t last = impl.last_dependant_review.load();
  if (!now_due && now - last < impl.options.dependant_review_interval.count()) return 0;
  impl.last_dependant_review = now;
  std::int64_t ended = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(ended, impl.ReviewLinks(tx, "ended_at IS NULL", {}));
        return OkStatus();
      }));
  if (ended > 0) CITYCODE_RETURN_IF_ERROR(impl.platform.devices().PublishRevocations());
  return ended;
}

}  // namespace citycode::vault
