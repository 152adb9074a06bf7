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

// Read straight from the bytes (CborReader): a gate does this per scan.
Result<PresentationFields> ParsePresentationFields(ByteView payload) {
  using internal::CborHead;
  using Kind = CborHead::Kind;
  internal::CborReader reader(payload);
  CborHead map;
  if (!reader.Next(map) || map.kind != Kind::kMap) {
    return InvalidArgument("presentation payload is not a map");
  }
  PresentationFields fields;
  unsigned seen = 0;
  for (std::uint64_t i = 0; i < map.value; ++i) {
    CborHead label_head, value;
    if (!reader.Next(label_head) || !reader.Next(value)) {
      return InvalidArgument("presentation payload is truncated");
    }
    const auto label = internal::AsInt(label_head);
    if (!label || *label < kCredential || *label > kSceneHint) {
      return InvalidArgument("presentation payload has an unknown field");
    }
    const unsigned bit = 1u << *label;
    if (seen & bit) return InvalidArgument("presentation payload has a duplicate field");
    seen |= bit;
    bool ok = false;
    switch (*label) {
      case kCredential:
        ok = value.kind == Kind::kBytes && !value.bytes.empty();
        if (ok) fields.credential.assign(value.bytes.begin(), value.bytes.end());
        break;
      case kMadeAt:
        ok = value.kind == Kind::kUint && value.value <= 253402300799ULL;
        if (ok) fields.made_at = FromUnixSeconds(static_cast<std::int64_t>(value.value));
        break;
      case kCounter:
        ok = value.kind == Kind::kUint;
        if (ok) fields.counter = value.value;
        break;
      case kSceneHint:
        ok = value.kind == Kind::kUint && value.value >= 1 && value.value <= 5;
        if (ok) fields.scene_hint = static_cast<Scene>(value.value);
        break;
    }
    if (!ok) return InvalidArgument("presentation payload has a mistyped field");
  }
  if (!reader.AtEnd()) return InvalidArgument("presentation payload has trailing bytes");
  constexpr unsigned kRequired = (1u << kCredential) | (1u << kMadeAt) | (1u << kCounter);
  if ((seen & kRequired) != kRequired) {
    return InvalidArgument("presentation lacks its credential, time or counter");
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
