// CC1 presentation, the QR's content:
//
//   qr-text      = "CC1:" base45(presentation)
//   presentation = #6.18(COSE_Sign1) signed by the device key (the credential's cnf),
//                  protected header { 1 => alg }
//   payload      = {
//     1 => bstr,   ; the credential: the whole tagged COSE_Sign1
//     2 => uint,   ; t, unix seconds when made
//     3 => uint,   ; n, counter
//     ? 4 => uint, ; scene hint
//   }
#include "code/presentation.h"

#include "code/base45.h"
#include "code/internal/cbor.h"

namespace citycode::code {
namespace {

using internal::CborPtr;
using internal::MakeInt;
using internal::MapPut;

enum PresentationKey : std::int64_t { kCredential = 1, kMadeAt = 2, kCounter = 3, kSceneHint = 4 };

// Leaves room for the presentation's own header, fields and signature.
constexpr std::size_t kMaxCredentialBytes = kMaxPresentationBytes - 128;

}  // namespace

Result<Bytes> MakePresentation(const PresentationFields& fields,
                               const crypto::PrivateKey& device_key) {
  if (fields.credential.empty() || fields.credential.size() > kMaxCredentialBytes) {
    return InvalidArgument("credential is empty or too large for a presentation");
  }
  if (ToUnixSeconds(fields.made_at) < 0) return InvalidArgument("presentation time is negative");
  if (fields.counter > static_cast<std::uint64_t>(INT64_MAX)) {
    return InvalidArgument("presentation counter is too large");
  }
  CborPtr map = internal::MakeMap(fields.scene_hint ? 4 : 3);
  MapPut(*map, MakeInt(kCredential), internal::MakeBytes(fields.credential));
  MapPut(*map, MakeInt(kMadeAt), MakeInt(ToUnixSeconds(fields.made_at)));
  MapPut(*map, MakeInt(kCounter), MakeInt(static_cast<std::int64_t>(fields.counter)));
  if (fields.scene_hint) {
    MapPut(*map, MakeInt(kSceneHint), MakeInt(static_cast<int>(*fields.scene_hint)));
  }
  return SignCoseSign1(device_key, internal::Encode(*map));
}

Result<PresentationFields> ParsePresentationFields(ByteView payload) {
  CITYCODE_ASSIGN_OR_RETURN(CborPtr map, internal::DecodeStrict(payload));
  if (!cbor_isa_map(map.get())) return InvalidArgument("presentation payload is not a map");
  PresentationFields fields;
  const cbor_item_t* credential = internal::MapFind(*map, kCredential);
  const auto credential_bytes = credential == nullptr ? std::nullopt : internal::AsBytes(*credential);
  if (!credential_bytes || credential_bytes->empty()) {
    return InvalidArgument("presentation lacks a credential");
  }
  fields.credential.assign(credential_bytes->begin(), credential_bytes->end());

  const cbor_item_t* made_at = internal::MapFind(*map, kMadeAt);
  const auto t = made_at == nullptr ? std::nullopt : internal::AsUint(*made_at);
  if (!t || *t > 253402300799ULL) return InvalidArgument("presentation time is missing or bad");
  fields.made_at = FromUnixSeconds(static_cast<std::int64_t>(*t));

  const cbor_item_t* counter = internal::MapFind(*map, kCounter);
  const auto n = counter == nullptr ? std::nullopt : internal::AsUint(*counter);
  if (!n) return InvalidArgument("presentation counter is missing or bad");
  fields.counter = *n;

  if (const cbor_item_t* hint = internal::MapFind(*map, kSceneHint); hint != nullptr) {
    const auto scene = internal::AsUint(*hint);
    if (!scene || *scene < 1 || *scene > 5) return InvalidArgument("presentation scene hint is bad");
    fields.scene_hint = static_cast<Scene>(*scene);
  }
  return fields;
}

Result<Presentation> ParsePresentation(ByteView bytes) {
  CITYCODE_ASSIGN_OR_RETURN(CoseSign1 envelope, DecodeCoseSign1(bytes));
  CITYCODE_ASSIGN_OR_RETURN(PresentationFields fields, ParsePresentationFields(envelope.payload));
  return Presentation{std::move(envelope), std::move(fields)};
}

std::string ToQrText(ByteView signed_message) {
  return std::string(kQrPrefix) + Base45Encode(signed_message);
}

Result<Bytes> FromQrText(std::string_view text) {
  if (!text.starts_with(kQrPrefix)) return InvalidArgument("code text does not start with CC1:");
  text.remove_prefix(kQrPrefix.size());
  // Base45 turns 2 bytes into 3 characters.
  constexpr std::size_t kMaxChars = (kMaxPresentationBytes + 1) / 2 * 3;
  if (text.size() > kMaxChars) return InvalidArgument("code text is too long");
  return Base45Decode(text, kMaxChars);
}

}  // namespace citycode::code
