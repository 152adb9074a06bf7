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
//   }
//   COSE_Key = { 1 => 1, -1 => 6, -2 => bstr .size 32 }                ; OKP Ed25519
//            / { 1 => 2, -1 => 1 / -65537, -2 => bstr .size 32, -3 => bstr .size 32 }
//                                                  ; EC2 P-256 / SM2 curve (private use)
//
// Claims with other keys are ignored, so later versions can add claims
// without breaking deployed gates.
#include "code/credential.h"

#include <algorithm>

#include "code/internal/cbor.h"

namespace citycode::code {
namespace {

using internal::AsBytes;
using internal::AsInt;
using internal::AsText;
using internal::AsUint;
using internal::CborPtr;
using internal::MakeBytes;
using internal::MakeInt;
using internal::MapFind;
using internal::MapPut;

enum ClaimKey : std::int64_t {
  kIss = 1,
  kSub = 2,
  kExp = 4,
  kIat = 6,
  kCti = 7,
  kCnf = 8,
  kScenes = -65537,
  kChannel = -65538,
  kRiderCategory = -65539,
};
constexpr std::int64_t kCnfCoseKey = 1;

// COSE_Key labels and values (RFC 9052 §7, RFC 9053 §7).
constexpr std::int64_t kKty = 1, kCrv = -1, kX = -2, kY = -3;
constexpr std::int64_t kKtyOkp = 1, kKtyEc2 = 2;
constexpr std::int64_t kCrvEd25519 = 6, kCrvP256 = 1, kCrvSm2 = -65537;

constexpr std::size_t kMaxIssuerLength = 128;
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

Result<crypto::PublicKey> DecodeCoseKey(const cbor_item_t& item) {
  if (!cbor_isa_map(&item)) return InvalidArgument("cnf key is not a map");
  const cbor_item_t* kty = MapFind(item, kKty);
  const cbor_item_t* crv = MapFind(item, kCrv);
  const cbor_item_t* x = MapFind(item, kX);
  if (kty == nullptr || crv == nullptr || x == nullptr) {
    return InvalidArgument("cnf key lacks kty, crv or x");
  }
  const auto kty_value = AsInt(*kty);
  const auto crv_value = AsInt(*crv);
  const auto x_bytes = AsBytes(*x);
  if (!kty_value || !crv_value || !x_bytes) return InvalidArgument("cnf key has a bad field");
  if (*kty_value == kKtyOkp && *crv_value == kCrvEd25519) {
    return crypto::PublicKey::FromEd25519(*x_bytes);
  }
  if (*kty_value != kKtyEc2 || (*crv_value != kCrvP256 && *crv_value != kCrvSm2)) {
    return InvalidArgument("cnf key type or curve is not supported");
  }
  const cbor_item_t* y = MapFind(item, kY);
  const auto y_bytes = y == nullptr ? std::nullopt : AsBytes(*y);
  if (!y_bytes) return InvalidArgument("cnf EC2 key lacks y");
  return crypto::PublicKey::FromEcPoint(
      *crv_value == kCrvP256 ? crypto::Algorithm::kEs256 : crypto::Algorithm::kSm2, *x_bytes,
      *y_bytes);
}

template <std::size_t N>
Result<std::array<std::uint8_t, N>> FixedBytes(const cbor_item_t* item, const char* name) {
  const auto bytes = item == nullptr ? std::nullopt : AsBytes(*item);
  if (!bytes || bytes->size() != N) {
    return InvalidArgument(std::string("claim ") + name + " is missing or not " +
                           std::to_string(N) + " bytes");
  }
  std::array<std::uint8_t, N> out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

Result<Instant> TimeClaim(const cbor_item_t* item, const char* name) {
  const auto value = item == nullptr ? std::nullopt : AsUint(*item);
  // Up to year 9999: keeps every later computation far from overflow.
  if (!value || *value > 253402300799ULL) {
    return InvalidArgument(std::string("claim ") + name + " is missing or not a time");
  }
  return FromUnixSeconds(static_cast<std::int64_t>(*value));
}

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
  for (Scene scene : {Scene::kGov, Scene::kTransit, Scene::kMedical, Scene::kHotel,
                      Scene::kAccess}) {
    if (SceneName(scene) == name) return scene;
  }
  return InvalidArgument("unknown scene '" + std::string(name) +
                         "' (gov, transit, medical, hotel, access)");
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
  for (Channel channel : {Channel::kApp, Channel::kWechat, Channel::kAlipay, Channel::kCard}) {
    if (ChannelName(channel) == name) return channel;
  }
  return InvalidArgument("unknown channel '" + std::string(name) +
                         "' (app, wechat, alipay, card)");
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
  for (RiderCategory category : {RiderCategory::kAdult, RiderCategory::kSenior,
                                 RiderCategory::kStudent, RiderCategory::kDisabled}) {
    if (RiderCategoryName(category) == name) return category;
  }
  return InvalidArgument("unknown rider category '" + std::string(name) +
                         "' (adult, senior, student, disabled)");
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

  CborPtr map = internal::MakeMap(9);
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
  const crypto::KeyId kid = signer.public_key().key_id();
  return SignCoseSign1(signer, internal::Encode(*map), ByteView(kid));
}

Result<CredentialClaims> ParseCredentialClaims(ByteView payload) {
  CITYCODE_ASSIGN_OR_RETURN(CborPtr map, internal::DecodeStrict(payload));
  if (!cbor_isa_map(map.get())) return InvalidArgument("credential claims are not a map");
  CredentialClaims claims;

  const cbor_item_t* iss = MapFind(*map, kIss);
  const auto issuer = iss == nullptr ? std::nullopt : AsText(*iss);
  if (!issuer || issuer->empty() || issuer->size() > kMaxIssuerLength) {
    return InvalidArgument("claim iss is missing or not text");
  }
  claims.issuer = std::string(*issuer);
  CITYCODE_ASSIGN_OR_RETURN(claims.subject, FixedBytes<16>(MapFind(*map, kSub), "sub"));
  CITYCODE_ASSIGN_OR_RETURN(claims.expires_at, TimeClaim(MapFind(*map, kExp), "exp"));
  CITYCODE_ASSIGN_OR_RETURN(claims.issued_at, TimeClaim(MapFind(*map, kIat), "iat"));
  CITYCODE_ASSIGN_OR_RETURN(claims.id, FixedBytes<kCredentialIdSize>(MapFind(*map, kCti), "cti"));

  if (const cbor_item_t* cnf = MapFind(*map, kCnf); cnf != nullptr) {
    const cbor_item_t* key = cbor_isa_map(cnf) ? MapFind(*cnf, kCnfCoseKey) : nullptr;
    if (key == nullptr) return InvalidArgument("claim cnf lacks a COSE_Key");
    CITYCODE_ASSIGN_OR_RETURN(claims.device_key, DecodeCoseKey(*key));
  }

  const cbor_item_t* scenes = MapFind(*map, kScenes);
  if (scenes == nullptr || !cbor_isa_array(scenes) || cbor_array_size(scenes) == 0 ||
      cbor_array_size(scenes) > kMaxScenes) {
    return InvalidArgument("claim scenes is missing or not a list");
  }
  for (std::size_t i = 0; i < cbor_array_size(scenes); ++i) {
    const auto value = AsUint(*cbor_array_handle(scenes)[i]);
    if (!value || *value < 1 || *value > 5) return InvalidArgument("claim scenes has a bad scene");
    claims.scenes.push_back(static_cast<Scene>(*value));
  }
  std::sort(claims.scenes.begin(), claims.scenes.end());
  claims.scenes.erase(std::unique(claims.scenes.begin(), claims.scenes.end()),
                      claims.scenes.end());

  const cbor_item_t* channel = MapFind(*map, kChannel);
  const auto channel_value = channel == nullptr ? std::nullopt : AsUint(*channel);
  if (!channel_value || *channel_value < 1 || *channel_value > 4) {
    return InvalidArgument("claim channel is missing or unknown");
  }
  claims.channel = static_cast<Channel>(*channel_value);
  if (!claims.device_key && claims.channel != Channel::kCard) {
    return InvalidArgument("claim cnf is missing");
  }

  if (const cbor_item_t* rider = MapFind(*map, kRiderCategory); rider != nullptr) {
    const auto value = AsUint(*rider);
    if (!value || *value > 3) return InvalidArgument("claim rider category is unknown");
    claims.rider_category = static_cast<RiderCategory>(*value);
  }
  return claims;
}

Result<Credential> ParseCredential(ByteView bytes) {
  CITYCODE_ASSIGN_OR_RETURN(CoseSign1 envelope, DecodeCoseSign1(bytes));
  CITYCODE_ASSIGN_OR_RETURN(CredentialClaims claims, ParseCredentialClaims(envelope.payload));
  return Credential{std::move(envelope), std::move(claims)};
}

}  // namespace citycode::code
