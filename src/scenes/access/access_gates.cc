// The gates' side of the access scene: the signed allow-lists and their
// deltas, the passages gates upload, and walk-ins sold at the gate.
#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include "api/route.h"
#include "code/allow_list.h"
#include "code/visitor_pass.h"
#include "scenes/access/access.h"
#include "scenes/access/internal/core.h"

namespace citycode::access {
namespace {

using code::AllowEntry;
using platform::Principal;
using store::Blob;
using store::Int;
using store::Text;
using store::Time;

// A member's entries hold while they are a member: one window for all, so
// a list's windows do not change with each version.
const Instant kAlways = FromUnixSeconds(946'684'800);     // 2000-01-01
const Instant kForever = FromUnixSeconds(4'102'444'800);  // 2100-01-01
constexpr std::chrono::hours kKeepRemovedEntries{24};
constexpr std::size_t kInsertBatch = 200;  // rows per INSERT
constexpr std::size_t kMaxReason = 64;
constexpr std::size_t kMaxScannedText = 4096;
constexpr std::chrono::minutes kMaxUploadAhead{5};

// Who the list admits and when, before their credentials are looked up.
struct Admission {
  std::string citizen_id;
  Instant from{};
  Instant until{};
  std::uint32_t entries = 0;
};

std::string Etag(std::string_view site_id, std::uint64_t version) {
  return "\"allow-" + std::string(site_id) + "-" + std::to_string(version) + "\"";
}

Result<std::optional<Published>> LoadPublished(store::Transaction& tx, std::string_view site_id) {
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional("SELECT l.version, l.change_seq, s.change_seq, l.issued_at, "
                                 "l.expires_at, l.document, l.delta_floor FROM access_lists l "
                                 "JOIN access_sites s ON s.site_id = l.site_id WHERE l.site_id = ?",
                                 {Text(site_id)}));
  if (!row) return std::optional<Published>();
  return std::optional<Published>(
      Published{.version = static_cast<std::uint64_t>(row->Int(0)),
                .change_seq = row->Int(1),
                .site_change_seq = row->Int(2),
                .issued_at = FromUnixSeconds(row->Int(3)),
                .expires_at = FromUnixSeconds(row->Int(4)),
                .document = row->Text(5),
                .delta_floor = static_cast<std::uint64_t>(row->Int(6))});
}

Result<std::vector<AllowEntry>> EntriesOf(const std::vector<store::Row>& rows) {
  std::vector<AllowEntry> entries;
  entries.reserve(rows.size());
  for (const auto& row : rows) {
    const Bytes& hash = row.Blob(0);
    AllowEntry entry{.valid_from = FromUnixSeconds(row.Int(1)),
                     .valid_until = FromUnixSeconds(row.Int(2)),
                     .entries = static_cast<std::uint32_t>(row.Int(3))};
    if (hash.size() != entry.hash.size()) return Internal("stored list entry has a bad size");
    std::copy(hash.begin(), hash.end(), entry.hash.begin());
    entries.push_back(entry);
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

// Who may pass at the site from `now` until `until`.
Result<std::vector<Admission>> Admissions(store::Transaction& tx, const Site& site, Instant now,
                                          Instant until) {
  std::vector<Admission> out;
  const auto add = [&out](const std::vector<store::Row>& rows, bool windowed) {
    for (const auto& row : rows) {
      Admission admission{.citizen_id = row.Text(0), .from = kAlways, .until = kForever};
      if (windowed) {
        admission.from = FromUnixSeconds(row.Int(1));
        admission.until = FromUnixSeconds(row.Int(2));
        admission.entries = static_cast<std::uint32_t>(row.Int(3));
      }
      out.push_back(std::move(admission));
    }
  };
  if (site.policy == Policy::kReservations) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto booked,
        tx.Query("SELECT b.citizen_id, s.starts_at, s.ends_at, 0 FROM access_bookings b JOIN "
                 "access_slots s ON s.id = b.slot_id WHERE b.site_id = ? AND "
                 "b.cancelled_at IS NULL AND s.ends_at > ? AND s.starts_at < ?",
                 {Text(site.id), Time(now), Time(until)}));
    add(booked, true);
    return out;
  }
  CITYCODE_ASSIGN_OR_RETURN(auto members,
                            tx.Query("SELECT citizen_id FROM access_members WHERE site_id = ? "
                                     "AND removed_at IS NULL",
                                     {Text(site.id)}));
  add(members, false);
  CITYCODE_ASSIGN_OR_RETURN(
      auto visitors,
      tx.Query("SELECT visitor_id, valid_from, valid_until, entries FROM access_passes WHERE "
               "site_id = ? AND visitor_id IS NOT NULL AND revoked_at IS NULL AND used < entries "
               "AND valid_until > ? AND valid_from < ?",
               {Text(site.id), Time(now), Time(until)}));
  add(visitors, true);
  return out;
}

// A printed pass opens the gate through the list too, so revoking it (or
// its entries used up, once passages upload) takes it off like a member:
// its entry is its own id's hash.
Status AddPrintedPasses(store::Transaction& tx, const Site& site, Instant now, Instant until,
                        std::vector<AllowEntry>& entries) {
  if (site.policy != Policy::kResidents) return OkStatus();
  CITYCODE_ASSIGN_OR_RETURN(
      auto passes,
      tx.Query("SELECT id, valid_from, valid_until, entries FROM access_passes WHERE site_id = ? "
               "AND printed = 1 AND revoked_at IS NULL AND used < entries AND valid_until > ? "
               "AND valid_from < ?",
               {Text(site.id), Time(now), Time(until)}));
  for (const auto& row : passes) {
    CITYCODE_ASSIGN_OR_RETURN(code::CredentialId id, PrintedPassId(row.Text(0)));
    entries.push_back({.hash = code::AllowHashFor(id),
                       .valid_from = FromUnixSeconds(row.Int(1)),
                       .valid_until = FromUnixSeconds(row.Int(2)),
                       .entries = static_cast<std::uint32_t>(row.Int(3))});
  }
  return OkStatus();
}

// The entries the site's list holds now: each admission once for every
// credential its citizen may show.
Result<std::vector<AllowEntry>> Desired(store::Transaction& tx, platform::Platform& platform,
                                        const Site& site, Instant now, Instant until) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Admission> admissions, Admissions(tx, site, now, until));
  std::vector<std::string> citizens;
  for (const Admission& a : admissions) citizens.push_back(a.citizen_id);
  std::sort(citizens.begin(), citizens.end());
  citizens.erase(std::unique(citizens.begin(), citizens.end()), citizens.end());
  CITYCODE_ASSIGN_OR_RETURN(auto credentials,
                            platform.devices().Admissible(tx, citizens, now, site.allow_cards));
  std::multimap<std::string_view, code::AllowHash> hashes;
  for (const auto& credential : credentials) {
    hashes.emplace(credential.citizen_id, code::AllowHashFor(credential.id));
  }
  std::vector<AllowEntry> entries;
  for (const Admission& a : admissions) {
    auto [begin, end] = hashes.equal_range(a.citizen_id);
    for (auto it = begin; it != end; ++it) {
      entries.push_back(
          {.hash = it->second, .valid_from = a.from, .valid_until = a.until, .entries = a.entries});
    }
  }
  CITYCODE_RETURN_IF_ERROR(AddPrintedPasses(tx, site, now, until, entries));
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

Status InsertEntries(store::Transaction& tx, std::string_view site_id,
                     const std::vector<AllowEntry>& added, std::uint64_t version) {
  for (std::size_t begin = 0; begin < added.size(); begin += kInsertBatch) {
    const std::size_t end = std::min(added.size(), begin + kInsertBatch);
    std::string sql =
        "INSERT INTO access_list_entries (site_id, hash, valid_from, valid_until, entries, "
        "added_version) VALUES ";
    std::vector<store::Value> params;
    for (std::size_t i = begin; i < end; ++i) {
      sql += i == begin ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
      params.insert(params.end(), {Text(site_id), Blob(added[i].hash), Time(added[i].valid_from),
                                   Time(added[i].valid_until), Int(added[i].entries),
                                   Int(static_cast<std::int64_t>(version))});
    }
    CITYCODE_RETURN_IF_ERROR(tx.Execute(sql, params).status());
  }
  return OkStatus();
}

Status MarkRemoved(store::Transaction& tx, std::string_view site_id,
                   const std::vector<AllowEntry>& removed, std::uint64_t version, Instant now) {
  for (const AllowEntry& entry : removed) {
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute(
              "UPDATE access_list_entries SET removed_version = ?, removed_at = ? WHERE "
              "site_id = ? AND hash = ? AND valid_from = ? AND valid_until = ? AND "
              "entries = ? AND removed_version IS NULL",
              {Int(static_cast<std::int64_t>(version)), Time(now), Text(site_id), Blob(entry.hash),
               Time(entry.valid_from), Time(entry.valid_until), Int(entry.entries)})
            .status());
  }
  return OkStatus();
}

}  // namespace

Result<Published> AccessScene::Impl::Publish(store::Transaction& tx, const Site& site,
                                             const std::optional<Published>& previous) const {
  const Impl& impl = *this;
  const Instant now = impl.clock.Now();
  const Instant expires = now + std::chrono::minutes(impl.options.list_lifetime_minutes);
  CITYCODE_ASSIGN_OR_RETURN(std::vector<AllowEntry> desired,
                            Desired(tx, impl.platform, site, now, expires));
  CITYCODE_ASSIGN_OR_RETURN(
      auto live_rows, tx.Query("SELECT hash, valid_from, valid_until, entries FROM "
                               "access_list_entries WHERE site_id = ? AND removed_version IS NULL",
                               {Text(site.id)}));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<AllowEntry> live, EntriesOf(live_rows));
  std::vector<AllowEntry> added, removed;
  std::set_difference(desired.begin(), desired.end(), live.begin(), live.end(),
                      std::back_inserter(added));
  std::set_difference(live.begin(), live.end(), desired.begin(), desired.end(),
                      std::back_inserter(removed));
  Published published{.version = previous ? previous->version + 1 : 1,
                      .issued_at = now,
                      .expires_at = expires,
                      .delta_floor = previous ? previous->delta_floor : 1};
  CITYCODE_RETURN_IF_ERROR(InsertEntries(tx, site.id, added, published.version));
  CITYCODE_RETURN_IF_ERROR(MarkRemoved(tx, site.id, removed, published.version, now));
  CITYCODE_ASSIGN_OR_RETURN(published.document, impl.platform.signing_keys().SignAllowList(
                                                    {.site = site.id,
                                                     .version = published.version,
                                                     .issued_at = now,
                                                     .expires_at = expires,
                                                     .entries = std::move(desired)}));
  CITYCODE_ASSIGN_OR_RETURN(
      auto seq,
      tx.QueryOne("SELECT change_seq FROM access_sites WHERE site_id = ?", {Text(site.id)}));
  published.change_seq = published.site_change_seq = seq.Int(0);
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO access_lists (site_id, version, change_seq, issued_at, expires_at, "
                 "document, delta_floor) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id) DO "
                 "UPDATE SET version = excluded.version, change_seq = excluded.change_seq, "
                 "issued_at = excluded.issued_at, expires_at = excluded.expires_at, "
                 "document = excluded.document",
                 {Text(site.id), Int(static_cast<std::int64_t>(published.version)),
                  Int(published.change_seq), Time(now), Time(expires), Text(published.document),
                  Int(static_cast<std::int64_t>(published.delta_floor))})
          .status());
  return published;
}

namespace {

bool Fresh(const Published& p, const AccessOptions& options, Instant now) {
  return p.change_seq == p.site_change_seq && now < p.expires_at &&
         now < p.issued_at + std::chrono::seconds(options.refresh_seconds);
}

}  // namespace

Result<SignedAllowList> AccessScene::Impl::Answer(store::Transaction& tx, std::string_view site_id,
                                                  const Published& p,
                                                  std::optional<std::uint64_t> since) const {
  if (!since) {
    return SignedAllowList{
        .version = p.version, .jws = p.document, .etag = Etag(site_id, p.version)};
  }
  if (*since == p.version) return SignedAllowList{.version = p.version, .delta = true};
  if (*since > p.version || *since < p.delta_floor) {
    return FailedPrecondition("no delta from that version; download the full list",
                              "delta_unavailable");
  }
  const auto base = static_cast<std::int64_t>(*since);
  CITYCODE_ASSIGN_OR_RETURN(
      auto added_rows, tx.Query("SELECT hash, valid_from, valid_until, entries FROM "
                                "access_list_entries WHERE site_id = ? AND added_version > ? AND "
                                "removed_version IS NULL",
                                {Text(site_id), Int(base)}));
  CITYCODE_ASSIGN_OR_RETURN(auto removed_rows,
                            tx.Query("SELECT hash, valid_from, valid_until, entries FROM "
                                     "access_list_entries WHERE site_id = ? AND added_version <= ? "
                                     "AND removed_version > ?",
                                     {Text(site_id), Int(base), Int(base)}));
  code::AllowListDelta delta{.site = std::string(site_id),
                             .base_version = *since,
                             .version = p.version,
                             .issued_at = p.issued_at,
                             .expires_at = p.expires_at};
  CITYCODE_ASSIGN_OR_RETURN(delta.added, EntriesOf(added_rows));
  CITYCODE_ASSIGN_OR_RETURN(delta.removed, EntriesOf(removed_rows));
  CITYCODE_ASSIGN_OR_RETURN(std::string jws, platform.signing_keys().SignAllowListDelta(delta));
  return SignedAllowList{.version = p.version, .jws = std::move(jws), .delta = true};
}

Result<SignedAllowList> AccessScene::AllowList(const Principal& gate, std::string_view site_id,
                                               std::optional<std::uint64_t> since) {
  Impl& impl = *impl_;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_RETURN_IF_ERROR(impl.GateSite(*tx, gate, site_id).status());
    CITYCODE_ASSIGN_OR_RETURN(auto published, LoadPublished(*tx, gate.site_id));
    if (published && Fresh(*published, impl.options, impl.clock.Now())) {
      return impl.Answer(*tx, gate.site_id, *published, since);
    }
  }
  SignedAllowList answer;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        // Holding the site's row: one server makes each version; another
        // that waited finds it made.
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE access_sites SET change_seq = change_seq WHERE site_id = ?",
                       {Text(gate.site_id)})
                .status());
        CITYCODE_ASSIGN_OR_RETURN(Site site, impl.GateSite(tx, gate, site_id));
        CITYCODE_ASSIGN_OR_RETURN(auto published, LoadPublished(tx, site.id));
        if (!published || !Fresh(*published, impl.options, impl.clock.Now())) {
          CITYCODE_ASSIGN_OR_RETURN(published, impl.Publish(tx, site, published));
        }
        CITYCODE_ASSIGN_OR_RETURN(answer, impl.Answer(tx, site.id, *published, since));
        return OkStatus();
      }));
  return answer;
}

namespace {

// What the server learns of one passage before recording it.
struct Resolved {
  std::string citizen_id;  // a code's holder, when it verifies as of its scan
  std::string pass_id;     // a printed pass of this site
};

Status CheckPassage(const Passage& p, Instant now) {
  if (p.sequence < 0)
    return InvalidArgument("a passage's sequence is a whole number", "bad_passage");
  if (p.code.empty() || p.code.size() > kMaxScannedText) {
    return InvalidArgument("a passage's code is 1-4096 bytes", "bad_passage");
  }
  if (p.at > now + kMaxUploadAhead) {
    return InvalidArgument("a passage is from the future", "bad_passage");
  }
  return api::CheckText(p.reason, kMaxReason, "a passage's reason");
}

// Outside any transaction: a code's verification waits for the group
// commit that records it, and a transaction held open meanwhile (a reader
// on SQLite) stalls that commit's checkpoint. A visitor pass is only read
// here; ResolvePass checks it is one of the site's printed passes.
Result<Resolved> Resolve(platform::Platform& platform, const Principal& gate, const Passage& p) {
  Resolved resolved;
  if (p.code.starts_with(code::kVisitorPassPrefix)) {
    auto bytes = code::VisitorPassBytes(p.code);
    auto pass =
        bytes.ok() ? code::ParseVisitorPass(*bytes) : Result<code::VisitorPass>(bytes.status());
    if (pass.ok() && pass->claims.site == gate.site_id)
      resolved.pass_id = PassIdOf(pass->claims.id);
    return resolved;
  }
  CITYCODE_ASSIGN_OR_RETURN(
      platform::OnlineVerification verification,
      platform.verification().VerifyScanned(gate, p.code, p.at,
                                            gate.terminal_id + "#" + std::to_string(p.sequence)));
  if (verification.result.valid) resolved.citizen_id = verification.citizen_id;
  return resolved;
}

// In `tx`: `who` with a pass the site did not print forgotten.
Result<Resolved> ResolvePass(store::Transaction& tx, const Principal& gate, Resolved who) {
  if (who.pass_id.empty()) return who;
  CITYCODE_ASSIGN_OR_RETURN(
      auto known, tx.QueryOptional("SELECT id FROM access_passes WHERE id = ? AND site_id = ? "
                                   "AND printed = 1",
                                   {Text(who.pass_id), Text(gate.site_id)}));
  if (!known) who.pass_id.clear();
  return who;
}

// In `tx`: an admitted visitor's passage counts against their pass.
Status CountPassUse(store::Transaction& tx, const Principal& gate, const Passage& p,
                    const Resolved& who) {
  std::string pass_id = who.pass_id;
  if (pass_id.empty() && !who.citizen_id.empty()) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto pass,
        tx.QueryOptional("SELECT id FROM access_passes WHERE site_id = ? AND "
                         "visitor_id = ? AND valid_from <= ? AND valid_until > ? "
                         "AND used < entries ORDER BY valid_until, id LIMIT 1",
                         {Text(gate.site_id), Text(who.citizen_id), Time(p.at), Time(p.at)}));
    if (!pass) return OkStatus();  // a member's passage
    pass_id = pass->Text(0);
  }
  if (pass_id.empty()) return OkStatus();
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("UPDATE access_passes SET used = used + 1 WHERE id = ?", {Text(pass_id)})
          .status());
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO access_pass_uses (pass_id, terminal_id, sequence, at) "
                 "VALUES (?, ?, ?, ?)",
                 {Text(pass_id), Text(gate.terminal_id), Int(p.sequence), Time(p.at)})
          .status());
  return MarkChanged(tx, gate.site_id);
}

}  // namespace

Result<PassageUpload> AccessScene::UploadPassages(const Principal& gate,
                                                  const std::vector<Passage>& passages) {
  Impl& impl = *impl_;
  const Instant now = impl.clock.Now();
  for (const Passage& p : passages) CITYCODE_RETURN_IF_ERROR(CheckPassage(p, now));
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_RETURN_IF_ERROR(impl.GateSite(*tx, gate, "").status());
  }
  std::vector<Resolved> resolved;
  for (const Passage& p : passages) {
    CITYCODE_ASSIGN_OR_RETURN(Resolved who, Resolve(impl.platform, gate, p));
    resolved.push_back(std::move(who));
  }
  PassageUpload upload;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        upload = {};
        CITYCODE_ASSIGN_OR_RETURN(
            auto gate_row,
            tx.QueryOptional("SELECT direction FROM access_gates WHERE terminal_id = ?",
                             {Text(gate.terminal_id)}));
        const store::Value gate_direction =
            gate_row ? Text(gate_row->Text(0)) : store::Value(nullptr);
        for (std::size_t i = 0; i < passages.size(); ++i) {
          const Passage& p = passages[i];
          CITYCODE_ASSIGN_OR_RETURN(const Resolved who, ResolvePass(tx, gate, resolved[i]));
          CITYCODE_ASSIGN_OR_RETURN(
              auto inserted,
              tx.Execute(
                  "INSERT INTO access_passages (terminal_id, sequence, site_id, at, kind, "
                  "admitted, reason, direction, citizen_id, pass_id, received_at) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (terminal_id, sequence) "
                  "DO NOTHING",
                  {Text(gate.terminal_id), Int(p.sequence), Text(gate.site_id), Time(p.at),
                   Text(p.code.starts_with(code::kVisitorPassPrefix) ? "pass" : "code"),
                   Int(p.admitted ? 1 : 0), Text(p.reason), gate_direction,
                   who.citizen_id.empty() ? store::Value(nullptr) : Text(who.citizen_id),
                   who.pass_id.empty() ? store::Value(nullptr) : Text(who.pass_id), Time(now)}));
          if (inserted == 0) {
            ++upload.duplicates;
            continue;
          }
          ++upload.accepted;
          if (p.admitted) CITYCODE_RETURN_IF_ERROR(CountPassUse(tx, gate, p, who));
        }
        return OkStatus();
      }));
  return upload;
}

Result<Booking> AccessScene::SellWalkIn(const Principal& gate, std::string_view qr_text) {
  Impl& impl = *impl_;
  std::string slot_id;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(Site site, impl.GateSite(*tx, gate, ""));
    if (site.policy != Policy::kReservations) {
      return FailedPrecondition("the site sells no places", "wrong_policy");
    }
    const Instant now = impl.clock.Now();
    CITYCODE_ASSIGN_OR_RETURN(
        auto slot, tx->QueryOptional("SELECT id FROM access_slots WHERE site_id = ? AND "
                                     "starts_at <= ? AND ends_at > ? ORDER BY starts_at, id "
                                     "LIMIT 1",
                                     {Text(site.id), Time(now), Time(now)}));
    if (!slot) return FailedPrecondition("no slot is open now", "no_slot_now");
    slot_id = slot->Text(0);
  }
  CITYCODE_ASSIGN_OR_RETURN(code::VerificationResult checked,
                            impl.platform.verification().Check(gate, qr_text));
  // The code's use commits with the place, so a refused sale leaves it unused.
  Status refused;
  Booking booking;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(platform::OnlineVerification verification,
                                  impl.platform.verification().RecordIn(tx, gate, checked));
        refused = platform::Verification::ActionRefusal(verification);
        if (!refused.ok()) return OkStatus();
        CITYCODE_ASSIGN_OR_RETURN(booking,
                                  impl.BookSlot(tx, slot_id, verification.citizen_id, true));
        return OkStatus();
      }));
  if (!refused.ok()) return refused;
  return booking;
}

std::string_view DirectionName(Direction direction) {
  return direction == Direction::kIn ? "in" : "out";
}

Result<Direction> DirectionFromName(std::string_view name) {
  if (name == "in") return Direction::kIn;
  if (name == "out") return Direction::kOut;
  return InvalidArgument("direction is in or out", "bad_direction");
}

Status AccessScene::SetGateDirection(std::string_view org_id, std::string_view site_id,
                                     std::string_view terminal_id, Direction direction) {
  CITYCODE_ASSIGN_OR_RETURN(auto terminals, impl_->platform.access_keys().ListTerminals(org_id));
  const bool ours = std::any_of(terminals.begin(), terminals.end(), [&](const auto& t) {
    return t.id == terminal_id && t.site_id == site_id;
  });
  if (!ours) return NotFound("no such gate at this site");
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_RETURN_IF_ERROR(impl_->LoadSite(tx, site_id, org_id).status());
        return tx
            .Execute(
                "INSERT INTO access_gates (terminal_id, site_id, direction) VALUES (?, ?, ?) "
                "ON CONFLICT (terminal_id) DO UPDATE SET direction = excluded.direction",
                {Text(terminal_id), Text(site_id), Text(DirectionName(direction))})
            .status();
      });
}

Result<std::vector<Passback>> AccessScene::Passbacks(std::string_view org_id,
                                                     std::string_view site_id,
                                                     std::string_view day) {
  CITYCODE_ASSIGN_OR_RETURN(auto local_day, ParseIsoDay(day));
  const Instant start = impl_->time.StartOf(local_day);
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(Site site, impl_->LoadSite(*tx, site_id, org_id));
  if (!site.anti_passback) {
    return FailedPrecondition("the site does not use anti-passback", "anti_passback_off");
  }
  // Each admitted passage of a known holder beside the holder's previous
  // one; uploads arrive in any order, so this is resolved when read.
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query("SELECT w.at, t.name, w.direction, w.previous_at, pt.name, m.id, m.sealed_name "
                "FROM (SELECT p.citizen_id, p.at, p.terminal_id, p.direction, "
                "LAG(p.direction) OVER holder AS previous_direction, "
                "LAG(p.at) OVER holder AS previous_at, "
                "LAG(p.terminal_id) OVER holder AS previous_terminal "
                "FROM access_passages p WHERE p.site_id = ? AND p.admitted = 1 AND "
                "p.citizen_id IS NOT NULL AND p.direction IS NOT NULL AND p.at < ? "
                "WINDOW holder AS (PARTITION BY p.citizen_id ORDER BY p.at, p.terminal_id, "
                "p.sequence)) w "
                "JOIN terminals t ON t.id = w.terminal_id "
                "JOIN terminals pt ON pt.id = w.previous_terminal "
                "LEFT JOIN access_members m ON m.site_id = ? AND m.citizen_id = w.citizen_id AND "
                "m.removed_at IS NULL "
                "WHERE w.direction = w.previous_direction AND w.at >= ? ORDER BY w.at",
                {Text(site_id), Time(start + std::chrono::days(1)), Text(site_id), Time(start)}));
  std::vector<Passback> passbacks;
  for (const auto& row : rows) {
    Passback passback{.at = FromUnixSeconds(row.Int(0)),
                      .gate = row.Text(1),
                      .previous_at = FromUnixSeconds(row.Int(3)),
                      .previous_gate = row.Text(4)};
    CITYCODE_ASSIGN_OR_RETURN(passback.direction, DirectionFromName(row.Text(2)));
    if (!row.IsNull(5)) {
      CITYCODE_ASSIGN_OR_RETURN(Bytes name,
                                impl_->keyring.Open(row.Blob(6), MemberAad(row.Text(5))));
      passback.member = std::string(AsChars(name));
    }
    passbacks.push_back(std::move(passback));
  }
  return passbacks;
}

Status AccessScene::Upkeep() {
  const Instant before = impl_->clock.Now() - kKeepRemovedEntries;
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        // A delta from an older version than what is pruned cannot be made.
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE access_lists SET delta_floor = (SELECT MAX(removed_version) FROM "
                       "access_list_entries e WHERE e.site_id = access_lists.site_id AND "
                       "e.removed_at < ?) WHERE EXISTS (SELECT 1 FROM access_list_entries e "
                       "WHERE e.site_id = access_lists.site_id AND e.removed_at < ?)",
                       {Time(before), Time(before)})
                .status());
        return tx.Execute("DELETE FROM access_list_entries WHERE removed_at < ?", {Time(before)})
            .status();
      });
}

}  // namespace citycode::access
