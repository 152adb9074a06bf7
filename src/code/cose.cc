// COSE_Sign1 (RFC 9052 §4.2, §4.4), in CDDL:
//
//   COSE_Sign1_Tagged = #6.18(COSE_Sign1)          ; tag optional unless required
//   COSE_Sign1 = [
//     protected:   bstr .size 0 / bstr .cbor header_map,   ; strict CBOR map
//     unprotected: header_map,
//     payload:     bstr,                                    ; nil (detached) refused
//     signature:   bstr,                                    ; raw, 64 bytes here
//   ]
//   header_map = { ? 1 => int / tstr,     ; alg; read from the protected map only
//                  ? 4 => bstr,           ; kid; protected first, else unprotected
//                  * label => any }       ; others ignored; crit (2) refused
//
//   Sig_structure = [ "Signature1", body_protected: bstr, external_aad: bstr,
//                     payload: bstr ]
//
// body_protected is the protected bstr as sent, except that an empty map (A0)
// contributes a zero-length bstr: RFC 9052 §3 says "no protected attributes"
// is a zero-length bstr, and the cose-wg sign-pass-01 example is signed so.
#include "code/cose.h"

#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "code/internal/cbor.h"

namespace citycode::code {
namespace {

using internal::AsBytes;
using internal::AsInt;
using internal::CborPtr;
using internal::MapFind;

enum HeaderLabel : std::int64_t { kAlg = 1, kCrit = 2, kKid = 4 };

constexpr std::string_view kSignature1 = "Signature1";

// Size of a CBOR head carrying `n` (RFC 8949 §3, shortest form).
std::size_t HeadSize(std::uint64_t n) {
  if (n < 24) return 1;
  if (n <= 0xFF) return 2;
  if (n <= 0xFFFF) return 3;
  if (n <= 0xFFFFFFFF) return 5;
  return 9;
}

Bytes CopyOf(ByteView bytes) { return Bytes(bytes.begin(), bytes.end()); }

// Reads alg and kid from a decoded protected header map.
Status ReadProtected(const cbor_item_t& map, CoseSign1& out) {
  if (MapFind(map, kCrit) != nullptr) {
    return InvalidArgument("COSE critical header parameters are not supported");
  }
  if (const cbor_item_t* alg = MapFind(map, kAlg); alg != nullptr) {
    if (const auto value = AsInt(*alg)) {
      out.alg = *value;
    } else if (!cbor_isa_string(alg)) {
      return InvalidArgument("COSE alg is neither an integer nor a text string");
    }
  }
  if (const cbor_item_t* kid = MapFind(map, kKid); kid != nullptr) {
    const auto bytes = AsBytes(*kid);
    if (!bytes) return InvalidArgument("COSE kid is not a byte string");
    out.kid = CopyOf(*bytes);
  }
  return OkStatus();
}

// The shape every CC1 message has, read straight from the bytes (a gate
// decodes two per scan): #6.18([bstr, {}, bstr, bstr]) whose protected map
// holds at most alg (int) and kid (bstr), each once. Anything else, including
// every malformed input, yields nullopt and goes through the general decoder,
// which accepts a superset of this and gives the precise error.
std::optional<CoseSign1> DecodeCc1Shape(ByteView message) {
  using internal::CborHead;
  using Kind = CborHead::Kind;
  // libcbor's streaming decoder refuses the one-byte head of tag 18 (0xD2),
  // so the tag is matched here.
  constexpr std::uint8_t kTag18 = 0xC0 | kCoseSign1Tag;
  if (message.empty() || message[0] != kTag18) return std::nullopt;
  internal::CborReader reader(message.subspan(1));
  CborHead array, protected_head, unprotected, payload, signature;
  if (!reader.Next(array) || array.kind != Kind::kArray || array.value != 4 ||
      !reader.Next(protected_head) || protected_head.kind != Kind::kBytes ||
      !reader.Next(unprotected) || unprotected.kind != Kind::kMap || unprotected.value != 0 ||
      !reader.Next(payload) || payload.kind != Kind::kBytes || !reader.Next(signature) ||
      signature.kind != Kind::kBytes || !reader.AtEnd()) {
    return std::nullopt;
  }
  CoseSign1 out;
  out.tagged = true;
  if (!protected_head.bytes.empty()) {
    internal::CborReader header(protected_head.bytes);
    CborHead map;
    if (!header.Next(map) || map.kind != Kind::kMap || map.value > 2) return std::nullopt;
    bool has_kid = false;
    for (std::uint64_t i = 0; i < map.value; ++i) {
      CborHead label, value;
      if (!header.Next(label) || !header.Next(value)) return std::nullopt;
      const auto label_value = internal::AsInt(label);
      if (label_value == kAlg && !out.alg && internal::AsInt(value)) {
        out.alg = internal::AsInt(value);
      } else if (label_value == kKid && !has_kid && value.kind == Kind::kBytes) {
        out.kid = CopyOf(value.bytes);
        has_kid = true;
      } else {
        return std::nullopt;
      }
    }
    if (!header.AtEnd()) return std::nullopt;
  }
  out.protected_bytes = CopyOf(protected_head.bytes);
  out.payload = CopyOf(payload.bytes);
  out.signature = CopyOf(signature.bytes);
  return out;
}

}  // namespace

Result<CoseSign1> DecodeCoseSign1(ByteView message, const CoseOptions& options) {
  if (message.size() <= options.max_message_bytes) {
    if (std::optional<CoseSign1> cc1 = DecodeCc1Shape(message)) return *std::move(cc1);
  }
  CITYCODE_ASSIGN_OR_RETURN(
      const CborPtr root,
      internal::DecodeStrict(message, {.max_bytes = options.max_message_bytes, .max_depth = 8}));
  CoseSign1 out;
  const cbor_item_t* body = root.get();
  if (cbor_isa_tag(body)) {
    if (cbor_tag_value(body) != kCoseSign1Tag) {
      return InvalidArgument("COSE message has a tag other than COSE_Sign1's 18");
    }
    out.tagged = true;
    body = internal::TagItem(*body);
  } else if (options.require_tag) {
    return InvalidArgument("COSE_Sign1 lacks its tag 18");
  }
  if (body == nullptr || !cbor_isa_array(body) || cbor_array_size(body) != 4) {
    return InvalidArgument("COSE_Sign1 is not an array of four items");
  }
  cbor_item_t* const* parts = cbor_array_handle(body);
  const auto protected_bytes = AsBytes(*parts[0]);
  if (!protected_bytes) return InvalidArgument("COSE protected header is not a byte string");
  if (!cbor_isa_map(parts[1])) return InvalidArgument("COSE unprotected header is not a map");
  const auto payload = AsBytes(*parts[2]);
  if (!payload) return InvalidArgument("COSE payload is not an attached byte string");
  const auto signature = AsBytes(*parts[3]);
  if (!signature) return InvalidArgument("COSE signature is not a byte string");

  if (!protected_bytes->empty()) {
    CITYCODE_ASSIGN_OR_RETURN(
        const CborPtr header,
        internal::DecodeStrict(*protected_bytes,
                               {.max_bytes = protected_bytes->size(), .max_depth = 8}));
    if (!cbor_isa_map(header.get())) return InvalidArgument("COSE protected header is not a map");
    CITYCODE_RETURN_IF_ERROR(ReadProtected(*header, out));
  }
  if (MapFind(*parts[1], kCrit) != nullptr) {
    return InvalidArgument("COSE crit must be in the protected header");
  }
  if (const cbor_item_t* kid = MapFind(*parts[1], kKid); kid != nullptr) {
    const auto bytes = AsBytes(*kid);
    if (!bytes) return InvalidArgument("COSE kid is not a byte string");
    if (out.kid.empty()) out.kid = CopyOf(*bytes);
  }
  out.protected_bytes = CopyOf(*protected_bytes);
  out.payload = CopyOf(*payload);
  out.signature = CopyOf(*signature);
  return out;
}

Bytes SigStructure(ByteView protected_bytes, ByteView external_aad, ByteView payload) {
  if (protected_bytes.size() == 1 && protected_bytes[0] == 0xA0) protected_bytes = {};
  const std::size_t size = 1 + HeadSize(kSignature1.size()) + kSignature1.size() +
                           HeadSize(protected_bytes.size()) + protected_bytes.size() +
                           HeadSize(external_aad.size()) + external_aad.size() +
                           HeadSize(payload.size()) + payload.size();
  // libcbor writes each head; the contents are copied in between.
  Bytes out(size);
  std::uint8_t* at = out.data();
  std::size_t left = size;
  const auto head = [&](std::size_t written) {
    at += written;
    left -= written;
  };
  const auto body = [&](const void* data, std::size_t n) {
    if (n != 0) std::memcpy(at, data, n);
    at += n;
    left -= n;
  };
  head(cbor_encode_array_start(4, at, left));
  head(cbor_encode_string_start(kSignature1.size(), at, left));
  body(kSignature1.data(), kSignature1.size());
  for (const ByteView part : {protected_bytes, external_aad, payload}) {
    head(cbor_encode_bytestring_start(part.size(), at, left));
    body(part.data(), part.size());
  }
  return out;
}

bool VerifyCoseSign1(const CoseSign1& message, const crypto::PublicKey& key,
                     ByteView external_aad) {
  if (!message.alg) return false;
  const Result<crypto::Algorithm> alg = crypto::AlgorithmFromCose(*message.alg);
  if (!alg.ok() || *alg != key.algorithm()) return false;
  if (message.signature.size() != crypto::kSignatureSize) return false;
  return key.Verify(SigStructure(message.protected_bytes, external_aad, message.payload),
                    message.signature);
}

Result<Bytes> SignCoseSign1(const crypto::PrivateKey& key, ByteView payload,
                            std::optional<ByteView> kid) {
  // Deterministic (RFC 8949 §4.2.1): keys 1 then 4, integers in shortest form.
  CborPtr header = internal::MakeMap(kid ? 2 : 1);
  internal::MapPut(*header, internal::MakeInt(kAlg),
                   internal::MakeInt(crypto::CoseAlgorithm(key.algorithm())));
  if (kid) internal::MapPut(*header, internal::MakeInt(kKid), internal::MakeBytes(*kid));
  const Bytes protected_bytes = internal::Encode(*header);

  CITYCODE_ASSIGN_OR_RETURN(const Bytes signature,
                            key.Sign(SigStructure(protected_bytes, {}, payload)));

  CborPtr array = internal::MakeArray(4);
  internal::ArrayPush(*array, internal::MakeBytes(protected_bytes));
  internal::ArrayPush(*array, internal::MakeMap(0));
  internal::ArrayPush(*array, internal::MakeBytes(payload));
  internal::ArrayPush(*array, internal::MakeBytes(signature));
  return internal::Encode(*internal::MakeTag(kCoseSign1Tag, std::move(array)));
}

}  // namespace citycode::code
