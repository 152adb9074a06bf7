#include "code/verifier.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "code/cose.h"
#include "code/presentation.h"

namespace citycode::code {
namespace {

// The lists a verification runs against, replaced as a whole.
struct ListSnapshot {
  TrustList trust;
  std::vector<crypto::KeyId> trusted_kids;  // trust.keys[i].key.key_id(), computed once
  RevocationList revocation;
  Instant newest_issued_at{};
  // Bumped on every trust list change; cached credentials from an older
  // generation are checked again.
  std::uint64_t generation = 0;
};

// A credential whose issuer signature has been verified.
struct VerifiedCredential {
  CredentialClaims claims;
  Instant key_not_before{};
  Instant key_not_after{};
  std::uint64_t generation = 0;
};

std::vector<crypto::KeyId> KeyIdsOf(const TrustList& trust) {
  std::vector<crypto::KeyId> kids;
  kids.reserve(trust.keys.size());
  for (const TrustedKey& trusted : trust.keys) kids.push_back(trusted.key.key_id());
  return kids;
}

// A terminal never goes back to an older list: that would undo revocations.
Status CheckNotOlder(const char* what, std::uint64_t version, std::uint64_t held) {
  if (version >= held) return OkStatus();
  return FailedPrecondition(std::string(what) + " version " + std::to_string(version) +
                            " is older than the held version " + std::to_string(held));
}

Instant NewestIssuedAt(const TrustList& trust, const RevocationList& revocation) {
  return std::max(trust.issued_at, revocation.issued_at);
}

// The trusted key that signed `envelope` (a credential or a visitor pass
// claiming `issuer`), as of `now`. Every trusted key with the envelope's kid
// that is valid at `now` is tried: during a rotation two keys may share a
// kid prefix. nullptr with `reason` kUnknownKey (another issuer, or no such
// key) or kBadIssuerSignature (no such key verifies the signature).
const TrustedKey* FindIssuerKey(const CoseSign1& envelope, std::string_view issuer,
                                const ListSnapshot& snapshot, Instant now, Reason& reason) {
  reason = Reason::kUnknownKey;
  if (issuer != snapshot.trust.issuer) return nullptr;
  for (std::size_t i = 0; i < snapshot.trust.keys.size(); ++i) {
    const TrustedKey& trusted = snapshot.trust.keys[i];
    const crypto::KeyId& kid = snapshot.trusted_kids[i];
    if (!std::equal(kid.begin(), kid.end(), envelope.kid.begin(), envelope.kid.end()) ||
        now < trusted.not_before || now > trusted.not_after) {
      continue;
    }
    if (VerifyCoseSign1(envelope, trusted.key)) return &trusted;
    reason = Reason::kBadIssuerSignature;
  }
  return nullptr;
}

}  // namespace

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kValid: return "valid";
    case Reason::kClockBehind: return "clock_behind";
    case Reason::kMalformed: return "malformed";
    case Reason::kNotAPresentation: return "not_a_presentation";
    case Reason::kUnknownKey: return "unknown_key";
    case Reason::kBadIssuerSignature: return "bad_issuer_signature";
    case Reason::kCredentialExpired: return "credential_expired";
    case Reason::kCredentialNotYetValid: return "credential_not_yet_valid";
    case Reason::kCredentialRevoked: return "credential_revoked";
    case Reason::kBadDeviceSignature: return "bad_device_signature";
    case Reason::kStale: return "stale";
    case Reason::kFromFuture: return "from_future";
    case Reason::kReplayed: return "replayed";
    case Reason::kSceneNotAllowed: return "scene_not_allowed";
    case Reason::kReplayCheckFailed: return "replay_check_failed";
    case Reason::kNotACard: return "not_a_card";
    case Reason::kCardUseLimit: return "card_use_limit";
  }
  return "malformed";
}

std::string_view WarningName(Warning warning) {
  switch (warning) {
    case Warning::kStaleTrustList: return "stale_trust_list";
    case Warning::kStaleRevocationList: return "stale_revocation_list";
  }
  return "unknown";
}

struct Verifier::Impl {
  Impl(const Clock& c, VerifierOptions o)
      : clock(c), options(o), replay(o.replay_cache_capacity, o.window + o.max_future) {}

  std::shared_ptr<const ListSnapshot> Lists() const {
    std::lock_guard lock(lists_mutex);
    return lists;
  }

  // The verified credential for `bytes` from the cache, or after checking
  // its issuer signature. Sets `reason` when it cannot be had.
  std::shared_ptr<const VerifiedCredential> LoadCredential(ByteView bytes,
                                                           const ListSnapshot& snapshot,
                                                           Instant now, Reason& reason) const;
  void Remember(std::string key, std::shared_ptr<const VerifiedCredential> credential) const;
  // The credential's own checks once its issuer signature verified, for a
  // presentation and a printed card alike: the signing key valid at `now`,
  // the credential's lifetime, and (`live`) the revocation list. kValid or
  // the refusal.
  Reason CheckCredential(const VerifiedCredential& credential, const ListSnapshot& snapshot,
                         Instant now, bool live) const;
  // Every check, with `now` as the time. `live`: a scan happening now, so
  // the lists' issue time, the revocation list and the replay record apply;
  // otherwise a past scan, whose revocation and replay the caller checks.
  VerificationResult Check(ByteView presentation, std::optional<Scene> scene, Instant now,
                           bool live) const;

  // For a scan happening now: false when `now` is behind the newest list's
  // issued_at (a lower bound on the true time); else adds the warnings for
  // lists past their expires_at.
  bool CheckClock(const ListSnapshot& snapshot, Instant now, std::vector<Warning>& warnings) const {
    if (now + options.max_future < snapshot.newest_issued_at) return false;
    if (now > snapshot.trust.expires_at) warnings.push_back(Warning::kStaleTrustList);
    if (now > snapshot.revocation.expires_at) warnings.push_back(Warning::kStaleRevocationList);
    return true;
  }

  bool SeenBefore(const PresentationKey& key) const {
    return journal != nullptr ? journal->Contains(key) : replay.Contains(key);
  }
  // kValid once `key` is recorded; kReplayed if it was recorded meanwhile.
  Reason Record(const PresentationKey& key, Instant now) const {
    if (journal == nullptr) return replay.Insert(key, now) ? Reason::kValid : Reason::kReplayed;
    auto inserted = journal->Insert(key, now);
    if (!inserted.ok()) return Reason::kReplayCheckFailed;
    return *inserted ? Reason::kValid : Reason::kReplayed;
  }

  const Clock& clock;
  const VerifierOptions options;

  mutable std::mutex lists_mutex;
  std::shared_ptr<const ListSnapshot> lists;

  mutable ReplayCache replay;
  ReplayJournal* journal = nullptr;

  mutable std::mutex credentials_mutex;
  // Keyed by the credential's bytes; looked up by view, so a scan of a known
  // credential allocates nothing.
  struct BytesHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view bytes) const {
      return std::hash<std::string_view>{}(bytes);
    }
  };
  mutable std::unordered_map<std::string, std::shared_ptr<const VerifiedCredential>, BytesHash,
                             std::equal_to<>>
      credentials;
  mutable std::deque<std::string> credential_order;  // insertion order, for eviction
};

std::shared_ptr<const VerifiedCredential> Verifier::Impl::LoadCredential(
    ByteView bytes, const ListSnapshot& snapshot, Instant now, Reason& reason) const {
  if (options.credential_cache_capacity > 0) {
    std::lock_guard lock(credentials_mutex);
    auto it = credentials.find(AsChars(bytes));
    if (it != credentials.end() && it->second->generation == snapshot.generation) {
      return it->second;
    }
  }

  auto envelope = DecodeCoseSign1(bytes);
  if (!envelope.ok()) {
    reason = Reason::kMalformed;
    return nullptr;
  }
  auto claims = ParseCredentialClaims(envelope->payload);
  if (!claims.ok()) {
    reason = Reason::kMalformed;
    return nullptr;
  }
  const TrustedKey* trusted = FindIssuerKey(*envelope, claims->issuer, snapshot, now, reason);
  if (trusted == nullptr) return nullptr;
  auto verified = std::make_shared<const VerifiedCredential>(VerifiedCredential{
      *std::move(claims), trusted->not_before, trusted->not_after, snapshot.generation});
  if (options.credential_cache_capacity > 0) Remember(std::string(AsChars(bytes)), verified);
  return verified;
}

void Verifier::Impl::Remember(std::string key,
                              std::shared_ptr<const VerifiedCredential> credential) const {
  std::lock_guard lock(credentials_mutex);
  auto [it, inserted] = credentials.insert_or_assign(key, std::move(credential));
  if (!inserted) return;
  credential_order.push_back(std::move(key));
  while (credentials.size() > options.credential_cache_capacity) {
    credentials.erase(credential_order.front());
    credential_order.pop_front();
  }
}

Verifier::Verifier(const Clock& clock, TrustList trust_list, RevocationList revocation_list,
                   VerifierOptions options)
    : impl_(std::make_unique<Impl>(clock, options)) {
  auto snapshot = std::make_shared<ListSnapshot>();
  snapshot->newest_issued_at = NewestIssuedAt(trust_list, revocation_list);
  snapshot->trust = std::move(trust_list);
  snapshot->trusted_kids = KeyIdsOf(snapshot->trust);
  snapshot->revocation = std::move(revocation_list);
  impl_->lists = std::move(snapshot);
}

Verifier::~Verifier() = default;

Status Verifier::UpdateTrustList(TrustList list) {
  std::lock_guard lock(impl_->lists_mutex);
  const ListSnapshot& current = *impl_->lists;
  CITYCODE_RETURN_IF_ERROR(CheckNotOlder("trust list", list.version, current.trust.version));
  if (list.issuer != current.trust.issuer) {
    return FailedPrecondition("trust list is for issuer " + list.issuer + ", not " +
                              current.trust.issuer);
  }
  auto snapshot = std::make_shared<ListSnapshot>(current);
  snapshot->trust = std::move(list);
  snapshot->trusted_kids = KeyIdsOf(snapshot->trust);
  snapshot->newest_issued_at = NewestIssuedAt(snapshot->trust, snapshot->revocation);
  ++snapshot->generation;
  impl_->lists = std::move(snapshot);
  return OkStatus();
}

Status Verifier::UpdateRevocationList(RevocationList list) {
  std::lock_guard lock(impl_->lists_mutex);
  const ListSnapshot& current = *impl_->lists;
  CITYCODE_RETURN_IF_ERROR(
      CheckNotOlder("revocation list", list.version, current.revocation.version));
  auto snapshot = std::make_shared<ListSnapshot>(current);
  snapshot->revocation = std::move(list);
  snapshot->newest_issued_at = NewestIssuedAt(snapshot->trust, snapshot->revocation);
  impl_->lists = std::move(snapshot);
  return OkStatus();
}

void Verifier::UseReplayJournal(ReplayJournal* journal) { impl_->journal = journal; }

VerificationResult Verifier::Verify(std::string_view qr_text, std::optional<Scene> scene) const {
  // Unreadable text verifies as empty bytes, which are malformed, so that a
  // clock behind the lists is still reported first.
  auto bytes = FromQrText(qr_text);
  return VerifyBytes(bytes.ok() ? ByteView(*bytes) : ByteView(), scene);
}

VerificationResult Verifier::VerifyBytes(ByteView presentation, std::optional<Scene> scene) const {
  return impl_->Check(presentation, scene, impl_->clock.Now(), /*live=*/true);
}

VerificationResult Verifier::VerifyScanned(std::string_view qr_text, std::optional<Scene> scene,
                                           Instant scanned_at) const {
  auto bytes = FromQrText(qr_text);
  return impl_->Check(bytes.ok() ? ByteView(*bytes) : ByteView(), scene, scanned_at,
                      /*live=*/false);
}

namespace {

// What a result tells of the credential, filled once it is decoded.
void Describe(const CredentialClaims& claims, VerificationResult& result) {
  result.subject = claims.subject;
  result.credential_id = claims.id;
  result.scenes = claims.scenes;
  result.channel = claims.channel;
  result.rider_category = claims.rider_category;
  result.held_by_guardian = claims.held_by_guardian;
}

bool SceneAllowed(const CredentialClaims& claims, std::optional<Scene> scene) {
  return !scene || std::binary_search(claims.scenes.begin(), claims.scenes.end(), *scene);
}

}  // namespace

Reason Verifier::Impl::CheckCredential(const VerifiedCredential& credential,
                                       const ListSnapshot& snapshot, Instant now, bool live) const {
  const CredentialClaims& claims = credential.claims;
  if (now < credential.key_not_before || now > credential.key_not_after) {
    return Reason::kUnknownKey;
  }
  if (now >= claims.expires_at) return Reason::kCredentialExpired;
  if (claims.issued_at > now + options.max_future) return Reason::kCredentialNotYetValid;
  if (live && snapshot.revocation.Contains(claims.id)) return Reason::kCredentialRevoked;
  return Reason::kValid;
}

VerificationResult Verifier::Impl::Check(ByteView presentation, std::optional<Scene> scene,
                                         Instant now, bool live) const {
  const std::shared_ptr<const ListSnapshot> snapshot = Lists();
  VerificationResult result;
  auto refuse = [&result](Reason reason) {
    result.valid = false;
    result.reason = reason;
    return result;
  };

  if (live && !CheckClock(*snapshot, now, result.warnings)) return refuse(Reason::kClockBehind);

  if (presentation.size() > kMaxPresentationBytes) return refuse(Reason::kMalformed);
  auto envelope = DecodeCoseSign1(presentation);
  if (!envelope.ok()) return refuse(Reason::kMalformed);
  auto fields = ParsePresentationFields(envelope->payload);
  if (!fields.ok()) {
    return refuse(ParseCredentialClaims(envelope->payload).ok() ? Reason::kNotAPresentation
                                                                : Reason::kMalformed);
  }
  result.made_at = fields->made_at;
  result.counter = fields->counter;

  Reason credential_reason = Reason::kMalformed;
  const std::shared_ptr<const VerifiedCredential> credential =
      LoadCredential(fields->credential, *snapshot, now, credential_reason);
  if (credential == nullptr) return refuse(credential_reason);
  const CredentialClaims& claims = credential->claims;
  Describe(claims, result);
  if (const Reason reason = CheckCredential(*credential, *snapshot, now, live);
      reason != Reason::kValid) {
    return refuse(reason);
  }
  // A printed card has no device key, so it cannot sign a presentation.
  if (!claims.device_key || !VerifyCoseSign1(*envelope, *claims.device_key)) {
    return refuse(Reason::kBadDeviceSignature);
  }
  if (fields->made_at + options.window < now) return refuse(Reason::kStale);
  if (fields->made_at > now + options.max_future) return refuse(Reason::kFromFuture);
  const PresentationKey replay_key{claims.id, ToUnixSeconds(fields->made_at), fields->counter};
  const bool detect_replay = live && options.detect_replay;
  if (detect_replay && SeenBefore(replay_key)) return refuse(Reason::kReplayed);
  if (!SceneAllowed(claims, scene)) return refuse(Reason::kSceneNotAllowed);
  // Recorded only once accepted, so a code refused for its scene can still
  // be used where it belongs; Record is atomic, so of two gates racing with
  // the same code only one accepts it.
  if (detect_replay) {
    if (const Reason recorded = Record(replay_key, now); recorded != Reason::kValid) {
      return refuse(recorded);
    }
  }
  result.valid = true;
  result.reason = Reason::kValid;
  return result;
}

VerificationResult Verifier::VerifyCard(std::string_view qr_text,
                                        std::optional<Scene> scene) const {
  const std::shared_ptr<const ListSnapshot> snapshot = impl_->Lists();
  const Instant now = impl_->clock.Now();
  VerificationResult result;
  auto refuse = [&result](Reason reason) {
    result.valid = false;
    result.reason = reason;
    return result;
  };
  if (!impl_->CheckClock(*snapshot, now, result.warnings)) return refuse(Reason::kClockBehind);

  auto bytes = FromQrText(qr_text);
  if (!bytes.ok()) return refuse(Reason::kMalformed);
  // The shape first, before any signature: a card is a credential without
  // a device key. A presentation, or a phone's credential lifted out of
  // one, is not a card (the phone's would otherwise pass without its key).
  auto envelope = DecodeCoseSign1(*bytes);
  if (!envelope.ok()) return refuse(Reason::kMalformed);
  auto shape = ParseCredentialClaims(envelope->payload);
  if (!shape.ok()) {
    return refuse(ParsePresentationFields(envelope->payload).ok() ? Reason::kNotACard
                                                                  : Reason::kMalformed);
  }
  if (shape->device_key) return refuse(Reason::kNotACard);

  Reason credential_reason = Reason::kMalformed;
  const std::shared_ptr<const VerifiedCredential> credential =
      impl_->LoadCredential(*bytes, *snapshot, now, credential_reason);
  if (credential == nullptr) return refuse(credential_reason);
  Describe(credential->claims, result);
  result.card = true;
  if (const Reason reason = impl_->CheckCredential(*credential, *snapshot, now, /*live=*/true);
      reason != Reason::kValid) {
    return refuse(reason);
  }
  if (!SceneAllowed(credential->claims, scene)) return refuse(Reason::kSceneNotAllowed);
  result.valid = true;
  result.reason = Reason::kValid;
  return result;
}

VerificationResult Verifier::VerifyCodeOrCard(std::string_view qr_text,
                                              std::optional<Scene> scene) const {
  VerificationResult result = Verify(qr_text, scene);
  if (result.reason != Reason::kNotAPresentation) return result;
  VerificationResult card = VerifyCard(qr_text, scene);
  return card.reason == Reason::kNotACard ? result : card;
}

VisitorPassResult Verifier::VerifyVisitorPass(std::string_view text) const {
  const std::shared_ptr<const ListSnapshot> snapshot = impl_->Lists();
  const Instant now = impl_->clock.Now();
  VisitorPassResult result;
  auto refuse = [&result](Reason reason) {
    result.valid = false;
    result.reason = reason;
    return result;
  };
  if (!impl_->CheckClock(*snapshot, now, result.warnings)) return refuse(Reason::kClockBehind);

  auto bytes = VisitorPassBytes(text);
  if (!bytes.ok()) return refuse(Reason::kMalformed);
  auto pass = ParseVisitorPass(*bytes);
  if (!pass.ok()) return refuse(Reason::kMalformed);
  Reason key_reason = Reason::kUnknownKey;
  if (FindIssuerKey(pass->envelope, pass->claims.issuer, *snapshot, now, key_reason) == nullptr) {
    return refuse(key_reason);
  }
  result.claims = std::move(pass->claims);
  const VisitorPassClaims& claims = result.claims;
  if (now + impl_->options.max_future < claims.valid_from) {
    return refuse(Reason::kCredentialNotYetValid);
  }
  if (now >= claims.valid_until) return refuse(Reason::kCredentialExpired);
  if (snapshot->revocation.Contains(claims.id)) return refuse(Reason::kCredentialRevoked);
  result.valid = true;
  result.reason = Reason::kValid;
  return result;
}

}  // namespace citycode::code
