// The offline access gate (access_gate.h).
#include "code/access_gate.h"

#include <utility>

#include "code/visitor_pass.h"

namespace citycode::code {
namespace {

// The slack a phone's clock is given is the verifier's; the gate's own
// clock must not be behind the list it holds by more than this.
constexpr std::chrono::seconds kClockSlack{5};

}  // namespace

AccessGate::AccessGate(const Verifier& verifier, const Clock& clock, const crypto::PublicKey& root,
                       std::string site)
    : verifier_(verifier), clock_(clock), root_(root), site_(std::move(site)) {}

std::shared_ptr<const AllowList> AccessGate::List() const {
  std::lock_guard lock(mutex_);
  return list_;
}

std::uint64_t AccessGate::version() const {
  auto list = List();
  return list ? list->version : 0;
}

Status AccessGate::Replace(AllowList list) {
  if (list.site != site_) {
    return FailedPrecondition("the allow-list is for another site", "list_other_site");
  }
  std::lock_guard lock(mutex_);
  if (list_ && list.version < list_->version) {
    return FailedPrecondition("the allow-list is older than the one held", "list_rolled_back");
  }
  list_ = std::make_shared<const AllowList>(std::move(list));
  return OkStatus();
}

Status AccessGate::Load(std::string_view jws) {
  CITYCODE_ASSIGN_OR_RETURN(AllowList list, VerifyAllowList(jws, root_));
  return Replace(std::move(list));
}

Status AccessGate::Apply(std::string_view delta_jws) {
  CITYCODE_ASSIGN_OR_RETURN(AllowListDelta delta, VerifyAllowListDelta(delta_jws, root_));
  if (delta.site != site_) {
    return FailedPrecondition("the delta is for another site", "list_other_site");
  }
  auto held = List();
  if (!held) return FailedPrecondition("no allow-list is held", "delta_base_mismatch");
  CITYCODE_ASSIGN_OR_RETURN(AllowList list, ApplyDelta(*held, delta));
  return Replace(std::move(list));
}

bool AccessGate::Count(const std::vector<const AllowEntry*>& entries) {
  std::lock_guard lock(mutex_);
  for (const AllowEntry* entry : entries) {
    if (entry->entries == 0) return true;
  }
  for (const AllowEntry* entry : entries) {
    std::uint32_t& used = uses_[*entry];
    if (used < entry->entries) {
      ++used;
      return true;
    }
  }
  return false;
}

// A printed visitor pass: its signature and window by the verifier, its
// site, and its entry on the list (a revoked pass leaves the list).
void AccessGate::DecidePass(std::string_view text, const AllowList& list, Instant now,
                            GateDecision& decision) {
  const VisitorPassResult pass = verifier_.VerifyVisitorPass(text);
  decision.code.credential_id = pass.claims.id;
  if (!pass.valid) {
    decision.reason = ReasonName(pass.reason);
  } else if (pass.claims.site != site_) {
    decision.reason = "pass_other_site";
  } else {
    Admit(list, pass.claims.id, now, decision);
  }
}

void AccessGate::Admit(const AllowList& list, const CredentialId& id, Instant now,
                       GateDecision& decision) {
  const std::vector<const AllowEntry*> entries = list.Find(id, now);
  if (entries.empty()) {
    decision.reason = "not_on_allow_list";
  } else if (!Count(entries)) {
    decision.reason = "entries_used";
  } else {
    decision.admitted = true;
    decision.reason = "admitted";
  }
}

GateDecision AccessGate::Decide(std::string_view qr_text) {
  GateDecision decision;
  auto list = List();
  const Instant now = clock_.Now();
  if (!list) {
    decision.reason = "no_allow_list";
  } else if (now >= list->expires_at) {
    decision.reason = "allow_list_expired";  // fail closed
  } else if (now + kClockSlack < list->issued_at) {
    decision.reason = "clock_behind";
  } else if (qr_text.starts_with(kVisitorPassPrefix)) {
    DecidePass(qr_text, *list, now, decision);
  } else {
    // A printed card too: the list names its credential only for a site
    // whose policy admits cards, and bounds what a copy of it can do.
    decision.code = verifier_.VerifyCodeOrCard(qr_text, Scene::kAccess);
    if (decision.code.valid) {
      Admit(*list, decision.code.credential_id, now, decision);
    } else {
      decision.reason = ReasonName(decision.code.reason);
    }
  }
  return decision;
}

}  // namespace citycode::code
