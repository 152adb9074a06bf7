// CC1 credential payload: CWT claims (RFC 8392) with proof of possession
// (RFC 8747), encoded deterministically (RFC 8949 §4.2.1: keys in the order
// below, shortest integer forms, definite lengths).
//
//   claims = {
//     1 => tstr,                 ; iss, "citycode:jimo"
//     2 => bstr .size 16,        ; sub, random per credential
//     4 => uint,                 ; exp, unix seconds
//     6 => uint,                 ; iat, unix seconds
//     7 => bstr .size 16,        ; cti, credential id
//     ? 8 => { 1 => COSE_Key },  ; cnf, the device key (absent on a printed card)
//     -65537 => [+ uint],        ; scenes: 1 gov 2 transit 3 medical 4 hotel 5 access
//     -65538 => uint,            ; channel: 1 app 2 WeChat 3 Alipay 4 printed card
//     ? -65539 => uint,          ; rider category: 0 adult 1 senior 2 student 3 disabled
//     ? -65540 => 1,             ; holder: present only when a guardian holds the
//                                ; credential for a dependant (a child, a ward)
//   }
//   COSE_Key = { 1 => 1, -1 => 6, -2 => bstr .size 32 }                ; OKP Ed25519
//            / { 1 => 2, -1 => 1 / -65537, -2 => bstr .size 32, -3 => bstr .size 32 }
//                                                  ; EC2 P-256 / SM2 curve (private use)
//
// Claims and COSE_Key parameters with other labels are refused rather than
// ignored: a gate must not accept a credential whose meaning it cannot fully
// know (a later claim could restrict it). A new claim means a new format.
#include "code/credential.h"

#include <algorithm>
#include <array>

#include "code/internal/cbor.h"
#include "code/internal/cwt.h"

namespace citycode::code {
namespace {

using internal::CborPtr;
using internal::MakeBytes;
using internal::MakeInt;
using internal::MapPut;

enum ClaimKey : std::int64_t {
  kIss = internal::kCwtIss,
  kSub = internal::kCwtSub,
  kExp = internal::kCwtExp,
  kIat = internal::kCwtIat,
  kCti = internal::kCwtCti,
  kCnf = internal::kCwtCnf,
  kScenes = -65537,
  kChannel = -65538,
  kRiderCategory = -65539,
  kHolder = -65540,
};
constexpr std::uint64_t kHolderGuardian = 1;
constexpr std::int64_t kCnfCoseKey = 1;

// COSE_Key labels and values (RFC 9052 §7, RFC 9053 §7).
constexpr std::int64_t kKty = 1, kCrv = -1, kX = -2, kY = -3;
constexpr std::int64_t kKtyOkp = 1, kKtyEc2 = 2;
constexpr std::int64_t kCrvEd25519 = 6, kCrvP256 = 1, kCrvSm2 = -65537;

using internal::kMaxIssuerLength;
constexpr std::size_t kMaxScenes = 16;

CborPtr EncodeCoseKey(const crypto::PublicKey& key) {
  const bool okp = key.algorithm() == crypto::Algorithm::kEd25519;
  CborPtr map = internal::MakeMap(okp ? 3 : 4);
  MapPut(*map, MakeInt(kKty), MakeInt(okp ? kKtyOkp : kKtyEc2));
  switch (key.algorithm()) {
    case crypto::Algorithm::kEd25519: MapPut(*map, MakeInt(kCrv), MakeInt(kCrvEd25519)); break;
    case crypto::Algorithm::kEs256: MapPut(*map, MakeInt(kCrv), MakeInt(kCrvP256)); break;
    case crypto::Algorithm::kSm2: MapPut(*map, MakeInt(kCrv), MakeInt(kCrvSm2)); break;
  }
  MapPut(*map, MakeInt(kX), MakeBytes(key.x()));
  if (!okp) MapPut(*map, MakeInt(kY), MakeBytes(key.y()));
  return map;
}

using internal::CborHead;
using internal::CborReader;
using Kind = CborHead::Kind;

Status Malformed(const char* what) { return InvalidArgument(std::string("credential ") + what); }

// Reads the COSE_Key of cnf (see the grammar above).
Result<crypto::PublicKey> ReadCoseKey(CborReader& reader) {
  CborHead map;
  if (!reader.Next(map) || map.kind != Kind::kMap || map.value < 3 || map.value > 4) {
    return Malformed("cnf key is not a COSE_Key map");
  }
  std::optional<std::int64_t> kty, crv;
  std::optional<ByteView> x, y;
  for (std::uint64_t i = 0; i < map.value; ++i) {
    CborHead label_head, value;
    if (!reader.Next(label_head) || !reader.Next(value)) return Malformed("cnf key is truncated");
    const auto label = internal::AsInt(label_head);
    const bool bytes = value.kind == Kind::kBytes;
    if (label == kKty && !kty) {
      kty = internal::AsInt(value);
    } else if (label == kCrv && !crv) {
      crv = internal::AsInt(value);
    } else if (label == kX && !x && bytes) {
      x = value.bytes;
    } else if (label == kY && !y && bytes) {
      y = value.bytes;
    } else {
      return Malformed("cnf key has a duplicate, mistyped or unsupported parameter");
    }
  }
  if (!kty || !crv || !x) return Malformed("cnf key lacks kty, crv or x");
  if (*kty == kKtyOkp && *crv == kCrvEd25519 && !y) return crypto::PublicKey::FromEd25519(*x);
  if (*kty != kKtyEc2 || (*crv != kCrvP256 && *crv != kCrvSm2) || !y) {
    return Malformed("cnf key type or curve is not supported");
  }
  return crypto::PublicKey::FromEcPoint(
      *crv == kCrvP256 ? crypto::Algorithm::kEs256 : crypto::Algorithm::kSm2, *x, *y);
}

using internal::ReadFixedBytes;
using internal::ReadTime;

// Bit of each claim in the "seen" mask; -1 for a label that is not a claim.
int ClaimBit(std::int64_t label) {
  switch (label) {
    case kIss: return 0;
    case kSub: return 1;
    case kExp: return 2;
    case kIat: return 3;
    case kCti: return 4;
    case kCnf: return 5;
    case kScenes: return 6;
    case kChannel: return 7;
    case kRiderCategory: return 8;
    case kHolder: return 9;
    default: return -1;
  }
}
constexpr std::array kAllScenes = {Scene::kGov, Scene::kTransit, Scene::kMedical, Scene::kHotel,
                                   Scene::kAccess};
constexpr std::array kAllChannels = {Channel::kApp, Channel::kWechat, Channel::kAlipay,
                                     Channel::kCard};
constexpr std::array kAllRiderCategories = {RiderCategory::kAdult, RiderCategory::kSenior,
                                            RiderCategory::kStudent, RiderCategory::kDisabled};

// The one of `values` named `name`; the error lists every name.
template <typename E, std::size_t N>
Result<E> FromName(std::string_view name, const std::array<E, N>& values,
                   std::string_view (*name_of)(E), std::string_view what) {
  std::string known;
  for (E value : values) {
    if (name_of(value) == name) return value;
    known += (known.empty() ? "" : ", ") + std::string(name_of(value));
  }
  return InvalidArgument("unknown " + std::string(what) + " '" + std::string(name) + "' (" + known +
                         ")");
}

constexpr unsigned kRequiredClaims = 0b011011111;  // all but cnf and rider category

}  // namespace

std::string_view SceneName(Scene scene) {
  switch (scene) {
    case Scene::kGov: return "gov";
    case Scene::kTransit: return "transit";
    case Scene::kMedical: return "medical";
    case Scene::kHotel: return "hotel";
    case Scene::kAccess: return "access";
  }
  return "unknown";
}

Result<Scene> SceneFromName(std::string_view name) {
  return FromName(name, kAllScenes, SceneName, "scene");
}

Result<std::vector<Scene>> ParseSceneList(std::string_view names) {
  std::vector<Scene> scenes;
  while (true) {
    const std::size_t comma = names.find(',');
    CITYCODE_ASSIGN_OR_RETURN(Scene scene, SceneFromName(names.substr(0, comma)));
    scenes.push_back(scene);
    if (comma == std::string_view::npos) break;
    names.remove_prefix(comma + 1);
  }
  std::sort(scenes.begin(), scenes.end());
  scenes.erase(std::unique(scenes.begin(), scenes.end()), scenes.end());
  return scenes;
}

std::string_view ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kApp: return "app";
    case Channel::kWechat: return "wechat";
    case Channel::kAlipay: return "alipay";
    case Channel::kCard: return "card";
  }
  return "unknown";
}

Result<Channel> ChannelFromName(std::string_view name) {
  return FromName(name, kAllChannels, ChannelName, "channel");
}

std::string_view RiderCategoryName(RiderCategory category) {
  switch (category) {
    case RiderCategory::kAdult: return "adult";
    case RiderCategory::kSenior: return "senior";
    case RiderCategory::kStudent: return "student";
    case RiderCategory::kDisabled: return "disabled";
  }
  return "unknown";
}

Result<RiderCategory> RiderCategoryFromName(std::string_view name) {
  return FromName(name, kAllRiderCategories, RiderCategoryName, "rider category");
}

Result<Bytes> IssueCredential(const CredentialClaims& claims, const crypto::PrivateKey& signer) {
  if (claims.issuer.empty() || claims.issuer.size() > kMaxIssuerLength) {
    return InvalidArgument("credential issuer must be 1 to 128 characters");
  }
  if (claims.scenes.empty() || claims.scenes.size() > kMaxScenes) {
    return InvalidArgument("credential needs at least one scene");
  }
  if (claims.expires_at <= claims.issued_at || ToUnixSeconds(claims.issued_at) < 0) {
    return InvalidArgument("credential must expire after it is issued");
  }
  if (!claims.device_key && claims.channel != Channel::kCard) {
    return InvalidArgument("only a printed card credential may lack a device key");
  }
  std::vector<Scene> scenes = claims.scenes;
  std::sort(scenes.begin(), scenes.end());
  scenes.erase(std::unique(scenes.begin(), scenes.end()), scenes.end());

  CborPtr map = internal::MakeMap(10);
  MapPut(*map, MakeInt(kIss), internal::MakeText(claims.issuer));
  MapPut(*map, MakeInt(kSub), MakeBytes(claims.subject));
  MapPut(*map, MakeInt(kExp), MakeInt(ToUnixSeconds(claims.expires_at)));
  MapPut(*map, MakeInt(kIat), MakeInt(ToUnixSeconds(claims.issued_at)));
  MapPut(*map, MakeInt(kCti), MakeBytes(claims.id));
  if (claims.device_key) {
    CborPtr cnf = internal::MakeMap(1);
    MapPut(*cnf, MakeInt(kCnfCoseKey), EncodeCoseKey(*claims.device_key));
    MapPut(*map, MakeInt(kCnf), std::move(cnf));
  }
  CborPtr scene_array = internal::MakeArray(scenes.size());
  for (Scene scene : scenes) internal::ArrayPush(*scene_array, MakeInt(static_cast<int>(scene)));
  MapPut(*map, MakeInt(kScenes), std::move(scene_array));
  MapPut(*map, MakeInt(kChannel), MakeInt(static_cast<int>(claims.channel)));
  if (claims.rider_category) {
    MapPut(*map, MakeInt(kRiderCategory), MakeInt(static_cast<int>(*claims.rider_category)));
  }
  if (claims.held_by_guardian) {
    MapPut(*map, MakeInt(kHolder), MakeInt(static_cast<int>(kHolderGuardian)));
  }
  const crypto::KeyId kid = signer.public_key().key_id();
  return SignCoseSign1(signer, internal::Encode(*map), ByteView(kid));
}

// A gate parses one credential per scan, so this reads the claims straight
// from the bytes (CborReader) instead of building a libcbor item tree.
Result<CredentialClaims> ParseCredentialClaims(ByteView payload) {
  CborReader reader(payload);
  CborHead map;
  if (!reader.Next(map) || map.kind != Kind::kMap) return Malformed("claims are not a map");
  CredentialClaims claims;
  const auto read = [&claims, &reader](std::int64_t label, const CborHead& value) -> Status {
    bool ok = true;
    switch (label) {
      case kIss:
        ok = internal::IsIssuer(value);
        if (ok) claims.issuer = std::string(AsChars(value.bytes));
        break;
      case kSub: ok = ReadFixedBytes(value, claims.subject); break;
      case kExp: ok = ReadTime(value, claims.expires_at); break;
      case kIat: ok = ReadTime(value, claims.issued_at); break;
      case kCti: ok = ReadFixedBytes(value, claims.id); break;
      case kCnf: {
        CborHead cnf_label;
        ok = value.kind == Kind::kMap && value.value == 1 && reader.Next(cnf_label) &&
             internal::AsInt(cnf_label) == kCnfCoseKey;
        if (!ok) break;
        CITYCODE_ASSIGN_OR_RETURN(claims.device_key, ReadCoseKey(reader));
        break;
      }
      case kScenes:
        ok = value.kind == Kind::kArray && value.value >= 1 && value.value <= kMaxScenes;
        for (std::uint64_t j = 0; ok && j < value.value; ++j) {
          CborHead scene;
          ok = reader.Next(scene) && scene.kind == Kind::kUint && scene.value >= 1 &&
               scene.value <= 5;
          if (ok) claims.scenes.push_back(static_cast<Scene>(scene.value));
        }
        break;
      case kChannel:
        ok = value.kind == Kind::kUint && value.value >= 1 && value.value <= 4;
        if (ok) claims.channel = static_cast<Channel>(value.value);
        break;
      case kRiderCategory:
        ok = value.kind == Kind::kUint && value.value <= 3;
        if (ok) claims.rider_category = static_cast<RiderCategory>(value.value);
        break;
      case kHolder:
        ok = value.kind == Kind::kUint && value.value == kHolderGuardian;
        claims.held_by_guardian = ok;
        break;
    }
    return ok ? OkStatus() : Malformed("has a mistyped or out-of-range claim");
  };
  CITYCODE_ASSIGN_OR_RETURN(const unsigned seen,
                            internal::ReadClaims(reader, map.value, Malformed, ClaimBit, read));
  if (!reader.AtEnd()) return Malformed("claims have trailing bytes");
  if ((seen & kRequiredClaims) != kRequiredClaims) {
    return Malformed("lacks one of iss, sub, exp, iat, cti, scenes, channel");
  }
  if (!claims.device_key && claims.channel != Channel::kCard) {
    return Malformed("lacks cnf (only a printed card may)");
  }
  std::sort(claims.scenes.begin(), claims.scenes.end());
  claims.scenes.erase(std::unique(claims.scenes.begin(), claims.scenes.end()), claims.scenes.end());
  return claims;
}

Result<Credential> ParseCredential(ByteView bytes) {
  CITYCODE_ASSIGN_OR_RETURN(CoseSign1 envelope, DecodeCoseSign1(bytes));
  CITYCODE_ASSIGN_OR_RETURN(CredentialClaims claims, ParseCredentialClaims(envelope.payload));
  return Credential{std::move(envelope), std::move(claims)};
}

}  // namespace citycode::code
