// EU Digital COVID Certificate test data (../shared/vectors/dcc, see its
// FORMAT.md): "HC1:" + Base45(zlib(COSE_Sign1(CWT))), the closest public suite
// to CC1's pipeline. One test per (file, step in EXPECTEDRESULTS), found by
// walking the directory; each asserts that step's boolean.
//
// Each stage reads the file's own field for its input when the file has it,
// and otherwise derives it from the stage before, back to PREFIX. The DCC
// specifics (PS256, the CWT tag 61, alg in the unprotected header, key usage
// OIDs, zlib) live here, not in the library.
#define ZX_USE_UTF8
#include <ZXing/ReadBarcode.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "code/base45.h"
#include "code/cose.h"
#include "code/internal/cbor.h"
#include "common/clock.h"
#include "crypto/hash.h"
#include "crypto/key.h"
#include "code/test_support.h"
#include "tests/support/vectors.h"

namespace citycode::code {
namespace {

namespace fs = std::filesystem;
using internal::CborPtr;
using nlohmann::json;

constexpr std::string_view kContext = "HC1:";
constexpr std::size_t kMaxInflated = 64 * 1024;  // a DCC's COSE is a few KB at most
constexpr std::int64_t kAlgEs256 = -7;
constexpr std::int64_t kAlgPs256 = -37;
constexpr std::int64_t kClaimIat = 6;
constexpr std::int64_t kClaimExp = 4;
constexpr std::int64_t kClaimHcert = -260;

// ---------------------------------------------------------------------------
// Listing.

struct DccStep {
  std::string file;  // relative to the vectors root: "dcc/AT/2DCode/raw/1.json"
  std::string step;  // "EXPECTEDVERIFY", ...
};

void PrintTo(const DccStep& s, std::ostream* os) { *os << s.file << " " << s.step; }

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::vector<DccStep> DccSteps() {
  const fs::path root = testing::VectorsDir();
  std::vector<DccStep> steps;
  for (const std::string& file : testing::JsonFilesUnder("dcc")) {
    const json vector = ReadJson(root / file);
    if (!vector.is_object() || !vector.contains("EXPECTEDRESULTS")) {
      steps.push_back({file, "EXPECTEDRESULTS"});  // fails loudly below
      continue;
    }
    for (const auto& [step, expected] : vector.at("EXPECTEDRESULTS").items()) {
      steps.push_back({file, step});
    }
  }
  return steps;
}

// "AT", "common", ...: the folder under dcc/.
std::string Country(const std::string& file) {
  const fs::path rel = fs::path(file).lexically_relative("dcc");
  return rel.begin()->string();
}

std::string Stem(const std::string& file) { return fs::path(file).stem().string(); }

// ---------------------------------------------------------------------------
// Helpers over the file's fields.

const json& Load(const std::string& file) {
  static std::map<std::string, json>* cache = new std::map<std::string, json>();
  auto it = cache->find(file);
  if (it == cache->end()) it = cache->emplace(file, testing::LoadVectorJson(file)).first;
  return it->second;
}

std::optional<std::string> Field(const json& vector, const char* name) {
  if (!vector.contains(name) || !vector.at(name).is_string()) return std::nullopt;
  return vector.at(name).get<std::string>();
}

std::optional<Bytes> HexField(const json& vector, const char* name) {
  const std::optional<std::string> text = Field(vector, name);
  if (!text || text->empty()) return std::nullopt;
  Result<Bytes> bytes = FromHex(*text);
  EXPECT_TRUE(bytes.ok()) << name << " is not hex";
  if (!bytes.ok()) return std::nullopt;
  return *bytes;
}

std::optional<std::string> Unprefix(const std::string& text) {
  if (!text.starts_with(kContext)) return std::nullopt;
  return text.substr(kContext.size());
}

// zlib inflate of a whole stream, with no bytes after it, up to `cap` output.
std::optional<Bytes> Inflate(ByteView input, std::size_t cap) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return std::nullopt;
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  Bytes out;
  std::array<std::uint8_t, 4096> chunk;
  bool ok = false;
  for (;;) {
    zs.next_out = chunk.data();
    zs.avail_out = chunk.size();
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), chunk.begin(), chunk.begin() + (chunk.size() - zs.avail_out));
    if (out.size() > cap) break;
    if (rc == Z_STREAM_END) {
      ok = zs.avail_in == 0;
      break;
    }
    if (rc != Z_OK) break;                             // corrupt, or no progress possible
    if (zs.avail_in == 0 && zs.avail_out != 0) break;  // input ended inside the stream
  }
  inflateEnd(&zs);
  if (!ok) return std::nullopt;
  return out;
}

// The chain, each stage from the file's field or else from the stage before.
std::optional<std::string> Base45Text(const json& v) {
  if (auto text = Field(v, "BASE45")) return text;
  if (auto prefix = Field(v, "PREFIX")) return Unprefix(*prefix);
  return std::nullopt;
}
std::optional<Bytes> Compressed(const json& v) {
  if (auto bytes = HexField(v, "COMPRESSED")) return bytes;
  const std::optional<std::string> text = Base45Text(v);
  if (!text) return std::nullopt;
  Result<Bytes> bytes = Base45Decode(*text);
  if (!bytes.ok()) return std::nullopt;
  return *bytes;
}
std::optional<Bytes> Cose(const json& v) {
  if (auto bytes = HexField(v, "COSE")) return bytes;
  const std::optional<Bytes> compressed = Compressed(v);
  if (!compressed) return std::nullopt;
  return Inflate(*compressed, kMaxInflated);
}

// RFC 8392 §6: a CWT may carry the CWT tag 61 around its COSE message.
ByteView WithoutCwtTag(ByteView cose) {
  if (cose.size() >= 2 && cose[0] == 0xD8 && cose[1] == 61) return cose.subspan(2);
  return cose;
}

// The CWT claims map of a COSE message.
Result<CborPtr> Claims(ByteView cose) {
  CITYCODE_ASSIGN_OR_RETURN(const CoseSign1 message,
                            DecodeCoseSign1(WithoutCwtTag(cose), {.require_tag = false}));
  CITYCODE_ASSIGN_OR_RETURN(CborPtr claims, internal::DecodeStrict(message.payload));
  if (!cbor_isa_map(claims.get())) return InvalidArgument("CWT claims are not a map");
  return claims;
}

// The DGC: claims[-260][1].
const cbor_item_t* Dgc(const cbor_item_t& claims) {
  const cbor_item_t* hcert = internal::MapFind(claims, kClaimHcert);
  if (hcert == nullptr || !cbor_isa_map(hcert)) return nullptr;
  const cbor_item_t* dgc = internal::MapFind(*hcert, 1);
  return dgc != nullptr && cbor_isa_map(dgc) ? dgc : nullptr;
}

// Reference CBOR from the file, which may use indefinite lengths (the issuers'
// encoders did): plain cbor_load, as it is test data, not hostile input.
CborPtr LoadReferenceCbor(const Bytes& bytes) {
  cbor_load_result result{};
  CborPtr item(cbor_load(bytes.data(), bytes.size(), &result));
  if (item != nullptr && result.read != bytes.size()) item.reset();
  return item;
}

// A CBOR value as JSON, for comparing data regardless of encoding details.
// kDrop converts tags as RFC 8949 §6.1 does (the enclosed item, tag dropped),
// as when comparing with the files' JSON; kKeep keeps them, for CBOR vs CBOR.
enum class Tags { kKeep, kDrop };
json ToJson(const cbor_item_t* item, Tags tags = Tags::kKeep) {
  if (item == nullptr) return "<missing>";
  switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT: return cbor_get_int(item);
    case CBOR_TYPE_NEGINT: {
      const std::optional<std::int64_t> v = internal::AsInt(*item);
      return v ? json(*v) : json("<negint below int64>");
    }
    case CBOR_TYPE_BYTESTRING: {
      Bytes all;
      if (cbor_bytestring_is_definite(item)) {
        all.assign(cbor_bytestring_handle(item),
                   cbor_bytestring_handle(item) + cbor_bytestring_length(item));
      } else {
        for (std::size_t i = 0; i < cbor_bytestring_chunk_count(item); ++i) {
          const cbor_item_t* chunk = cbor_bytestring_chunks_handle(item)[i];
          all.insert(all.end(), cbor_bytestring_handle(chunk),
                     cbor_bytestring_handle(chunk) + cbor_bytestring_length(chunk));
        }
      }
      return json{{"$bytes", ToHex(all)}};
    }
    case CBOR_TYPE_STRING: {
      std::string all;
      if (cbor_string_is_definite(item)) {
        all.assign(reinterpret_cast<const char*>(cbor_string_handle(item)),
                   cbor_string_length(item));
      } else {
        for (std::size_t i = 0; i < cbor_string_chunk_count(item); ++i) {
          const cbor_item_t* chunk = cbor_string_chunks_handle(item)[i];
          all.append(reinterpret_cast<const char*>(cbor_string_handle(chunk)),
                     cbor_string_length(chunk));
        }
      }
      return all;
    }
    case CBOR_TYPE_ARRAY: {
      json array = json::array();
      for (std::size_t i = 0; i < cbor_array_size(item); ++i) {
        array.push_back(ToJson(cbor_array_handle(item)[i], tags));
      }
      return array;
    }
    case CBOR_TYPE_MAP: {
      json object = json::object();
      const cbor_pair* pairs = cbor_map_handle(item);
      for (std::size_t i = 0; i < cbor_map_size(item); ++i) {
        const json key = ToJson(pairs[i].key, tags);
        object[key.is_string() ? key.get<std::string>() : "#" + key.dump()] =
            ToJson(pairs[i].value, tags);
      }
      return object;
    }
    case CBOR_TYPE_TAG:
      if (tags == Tags::kDrop) return ToJson(internal::TagItem(*item), tags);
      return json{{"$tag", cbor_tag_value(item)},
                  {"$item", ToJson(internal::TagItem(*item), tags)}};
    case CBOR_TYPE_FLOAT_CTRL:
      if (cbor_is_bool(item)) return cbor_get_bool(item);
      if (cbor_is_null(item)) return nullptr;
      if (cbor_is_undef(item)) return "<undefined>";
      if (cbor_is_float(item)) return cbor_float_get_float(item);
      return "<simple " + std::to_string(cbor_ctrl_value(item)) + ">";
  }
  return "<unknown>";
}

// JSON as CBOR (text keys, integers shortest, other numbers as doubles).
CborPtr FromJson(const json& j) {
  switch (j.type()) {
    case json::value_t::object: {
      CborPtr map = internal::MakeMap(j.size());
      for (const auto& [key, value] : j.items()) {
        internal::MapPut(*map, internal::MakeText(key), FromJson(value));
      }
      return map;
    }
    case json::value_t::array: {
      CborPtr array = internal::MakeArray(j.size());
      for (const json& value : j) internal::ArrayPush(*array, FromJson(value));
      return array;
    }
    case json::value_t::string: return internal::MakeText(j.get<std::string>());
    case json::value_t::number_integer: return internal::MakeInt(j.get<std::int64_t>());
    case json::value_t::number_unsigned:
      if (j.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return internal::MakeInt(j.get<std::int64_t>());
      }
      return CborPtr(cbor_build_uint64(j.get<std::uint64_t>()));
    case json::value_t::number_float: return CborPtr(cbor_build_float8(j.get<double>()));
    case json::value_t::boolean: return CborPtr(cbor_build_bool(j.get<bool>()));
    default: return CborPtr(cbor_new_null());
  }
}

// ---------------------------------------------------------------------------
// The certificate and signature checks (OpenSSL, test side only).

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

X509Ptr ParseCertificate(const Bytes& der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert != nullptr && p != der.data() + der.size()) cert.reset();
  return cert;
}

std::optional<Bytes> CertificateDer(const json& v) {
  if (!v.contains("TESTCTX") || !v.at("TESTCTX").contains("CERTIFICATE")) return std::nullopt;
  Result<Bytes> der = Base64Decode(v.at("TESTCTX").at("CERTIFICATE").get<std::string>());
  if (!der.ok()) return std::nullopt;
  return *der;
}

// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt as long as the digest (PS256,
// RFC 8230), which citycode itself does not support.
bool VerifyPs256(EVP_PKEY* key, ByteView message, ByteView signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  return ctx != nullptr &&
         EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

using ::citycode::testing::UnprotectedAlg;

// EXPECTEDVERIFY as a DCC verifier does it: the signer is looked up by KID
// (protected, else unprotected: CoseSign1::kid), which must be the first 8
// bytes of SHA-256 of the certificate; then the signature is checked.
// Returns "" on success, else why it failed.
std::string DccVerify(ByteView cose, const Bytes& cert_der) {
  const ByteView body = WithoutCwtTag(cose);
  const Result<CoseSign1> message = DecodeCoseSign1(body, {.require_tag = false});
  if (!message.ok()) return "decode: " + message.status().ToString();
  const crypto::Digest digest = crypto::Sha256(cert_der);
  if (message->kid != Bytes(digest.begin(), digest.begin() + 8)) {
    return "KID " + ToHex(message->kid) + " does not name the certificate";
  }
  const X509Ptr cert = ParseCertificate(cert_der);
  if (cert == nullptr) return "certificate does not parse";
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr) return "certificate has no usable key";
  // CO20 has alg (and KID) only in the unprotected header. VerifyCoseSign1
  // refuses that by CC1 policy; DCC verifiers accept it.
  const std::optional<std::int64_t> alg = message->alg ? message->alg : UnprotectedAlg(body);
  if (!alg) return "no integer alg";
  const Bytes to_be_signed = SigStructure(message->protected_bytes, {}, message->payload);
  switch (EVP_PKEY_base_id(key)) {
    case EVP_PKEY_EC: {
      if (*alg != kAlgEs256) return "EC key but alg " + std::to_string(*alg);
      const int length = i2d_PUBKEY(key, nullptr);
      if (length <= 0) return "cannot encode the SubjectPublicKeyInfo";
      Bytes spki(static_cast<std::size_t>(length));
      unsigned char* p = spki.data();
      i2d_PUBKEY(key, &p);
      const Result<crypto::PublicKey> public_key = crypto::PublicKey::FromSpkiDer(spki);
      if (!public_key.ok()) return "FromSpkiDer: " + public_key.status().ToString();
      const bool ok = message->alg ? VerifyCoseSign1(*message, *public_key)
                                   : public_key->Verify(to_be_signed, message->signature);
      return ok ? "" : "ES256 signature does not verify";
    }
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      if (*alg != kAlgPs256) return "RSA key but alg " + std::to_string(*alg);
      return VerifyPs256(key, to_be_signed, message->signature) ? ""
                                                                : "PS256 signature does not verify";
    default: return "unexpected key type";
  }
}

// EXPECTEDKEYUSAGE: the certificate's extended key usages allow the DGC's
// type: .1 test (t), .2 vaccination (v), .3 recovery (r); a certificate with
// none of the three allows every type.
std::string KeyUsageCheck(const Bytes& cert_der, const cbor_item_t& dgc) {
  const X509Ptr cert = ParseCertificate(cert_der);
  if (cert == nullptr) return "certificate does not parse";
  static const std::map<std::string, std::string> kOidOfType = {
      {"t", "1.3.6.1.4.1.0.1847.2021.1.1"},
      {"v", "1.3.6.1.4.1.0.1847.2021.1.2"},
      {"r", "1.3.6.1.4.1.0.1847.2021.1.3"},
  };
  std::vector<std::string> types;
  const cbor_pair* pairs = cbor_map_handle(&dgc);
  for (std::size_t i = 0; i < cbor_map_size(&dgc); ++i) {
    const std::optional<std::string_view> key = internal::AsText(*pairs[i].key);
    if (key && kOidOfType.contains(std::string(*key))) types.emplace_back(*key);
  }
  if (types.size() != 1) return "DGC has " + std::to_string(types.size()) + " certificate types";

  std::set<std::string> dgc_oids;
  int critical = 0;
  auto* usages = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert.get(), NID_ext_key_usage, &critical, nullptr));
  if (usages != nullptr) {
    for (int i = 0; i < sk_ASN1_OBJECT_num(usages); ++i) {
      std::array<char, 128> oid{};
      OBJ_obj2txt(oid.data(), static_cast<int>(oid.size()), sk_ASN1_OBJECT_value(usages, i), 1);
      for (const auto& [type, type_oid] : kOidOfType) {
        if (type_oid == oid.data()) dgc_oids.insert(type_oid);
      }
    }
    EXTENDED_KEY_USAGE_free(usages);
  }
  if (dgc_oids.empty() || dgc_oids.contains(kOidOfType.at(types[0]))) return "";
  return "certificate does not allow type " + types[0];
}

// ---------------------------------------------------------------------------
// QR images.

struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

std::optional<GrayImage> DecodePng(ByteView png) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) return std::nullopt;
  image.format = PNG_FORMAT_GRAY;
  GrayImage gray;
  gray.width = static_cast<int>(image.width);
  gray.height = static_cast<int>(image.height);
  gray.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, gray.pixels.data(), 0, nullptr)) {
    png_image_free(&image);
    return std::nullopt;
  }
  return gray;
}

std::optional<std::string> ReadCode(ByteView png) {
  const std::optional<GrayImage> gray = DecodePng(png);
  if (!gray) return std::nullopt;
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode | ZXing::BarcodeFormat::Aztec);
  hints.setTryHarder(true);
  const ZXing::Result result = ZXing::ReadBarcode(
      {gray->pixels.data(), gray->width, gray->height, ZXing::ImageFormat::Lum}, hints);
  if (!result.isValid()) return std::nullopt;
  return result.text();
}

// The images of a file's code: its 2DCODE and the PNG files of the same
// number in the country's png folder.
std::vector<std::pair<std::string, Bytes>> Images(const std::string& file, const json& v) {
  std::vector<std::pair<std::string, Bytes>> images;
  if (const std::optional<std::string> png = Field(v, "2DCODE")) {
    Result<Bytes> bytes = Base64Decode(*png);
    EXPECT_TRUE(bytes.ok()) << "2DCODE is not base64";
    if (bytes.ok()) images.emplace_back("2DCODE", *bytes);
  }
  const fs::path country = testing::VectorsDir() / "dcc" / Country(file);
  const std::string n = Stem(file);
  for (const fs::path& path :
       {country / "png" / (n + ".png"), country / "2DCode/png" / (n + ".png"),
        country / "png" / (n + "_qr.png"), country / "png" / (n + "_aztec.png")}) {
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    images.emplace_back(fs::relative(path, testing::VectorsDir()).generic_string(),
                        Bytes(data.begin(), data.end()));
  }
  return images;
}

// ---------------------------------------------------------------------------
// Known upstream issues (dcc/tests/known_issues.csv): test,country,set,url.

const std::map<std::string, std::set<std::string>> kStepsOfUpstreamTest = {
    {"test_verification_check", {"EXPECTEDVERIFY"}},
    {"test_expiration_check", {"EXPECTEDEXPIRATIONCHECK"}},
    {"test_expected_key_usage", {"EXPECTEDKEYUSAGE"}},
    {"test_cose_schema", {"EXPECTEDSCHEMAVALIDATION"}},
    {"test_cose_json", {"EXPECTEDVALIDJSON", "EXPECTEDDECODE"}},
    {"test_cbor_json", {"EXPECTEDVALIDJSON", "EXPECTEDDECODE"}},
};

struct KnownIssue {
  std::string test, country, set, url;
};

std::vector<KnownIssue> KnownIssues() {
  std::vector<KnownIssue> issues;
  std::ifstream in(testing::VectorsDir() / "dcc/tests/known_issues.csv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    cells.resize(4);
    issues.push_back({cells[0], cells[1], cells[2], cells[3]});
  }
  return issues;
}

std::optional<std::string> KnownIssueFor(const DccStep& s) {
  for (const KnownIssue& issue : KnownIssues()) {
    const auto steps = kStepsOfUpstreamTest.find(issue.test);
    if (issue.country == Country(s.file) && (issue.set.empty() || issue.set == Stem(s.file)) &&
        (steps == kStepsOfUpstreamTest.end() || steps->second.contains(s.step))) {
      return issue.url;
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// The steps. Each returns "" when the step succeeds, else why not.

using StepFn = std::string (*)(const std::string& file, const json& v);

std::string StepUnprefix(const std::string&, const json& v) {
  const std::optional<std::string> prefix = Field(v, "PREFIX");
  if (!prefix) return "no PREFIX";
  const std::optional<std::string> rest = Unprefix(*prefix);
  if (!rest) return "PREFIX does not start with HC1:";
  if (const auto base45 = Field(v, "BASE45"); base45 && *rest != *base45) {
    return "PREFIX without HC1: is not BASE45";
  }
  return "";
}

std::string StepBase45(const std::string&, const json& v) {
  const std::optional<std::string> text = Base45Text(v);
  if (!text) return "no Base45 text";
  const Result<Bytes> bytes = Base45Decode(*text);
  if (!bytes.ok()) return bytes.status().ToString();
  if (const auto expected = HexField(v, "COMPRESSED"); expected && *expected != *bytes) {
    return "decoded Base45 differs from COMPRESSED";
  }
  return "";
}

std::string StepCompression(const std::string&, const json& v) {
  const std::optional<Bytes> compressed = Compressed(v);
  if (!compressed) return "no compressed data";
  const std::optional<Bytes> inflated = Inflate(*compressed, kMaxInflated);
  if (!inflated) return "zlib inflate fails";
  if (const auto expected = HexField(v, "COSE"); expected && *expected != *inflated) {
    return "inflated data differs from COSE";
  }
  return "";
}

std::string StepVerify(const std::string&, const json& v) {
  const std::optional<Bytes> cose = Cose(v);
  if (!cose) return "no COSE";
  const std::optional<Bytes> cert = CertificateDer(v);
  if (!cert) return "no certificate";
  return DccVerify(*cose, *cert);
}

std::string StepDecode(const std::string&, const json& v) {
  const std::optional<Bytes> cose = Cose(v);
  if (!cose) return "no COSE";
  const Result<CborPtr> claims = Claims(*cose);
  if (!claims.ok()) return claims.status().ToString();
  const cbor_item_t* dgc = Dgc(**claims);
  if (dgc == nullptr) return "no DGC at claims[-260][1]";
  if (const auto reference = HexField(v, "CBOR")) {
    const CborPtr expected = LoadReferenceCbor(*reference);
    if (expected == nullptr) return "CBOR field does not parse";
    // Most files give the DGC; DE's give the whole claims map.
    const bool is_claims =
        cbor_isa_map(expected.get()) && internal::MapFind(*expected, kClaimHcert) != nullptr;
    const json actual = ToJson(is_claims ? claims->get() : dgc);
    if (actual != ToJson(expected.get())) {
      return "payload " + actual.dump() + " differs from CBOR " + ToJson(expected.get()).dump();
    }
  }
  return "";
}

std::string StepValidJson(const std::string&, const json& v) {
  // The whole chain from PREFIX alone.
  const std::optional<std::string> prefix = Field(v, "PREFIX");
  if (!prefix || !v.contains("JSON")) return "no PREFIX or JSON";
  const std::optional<std::string> text = Unprefix(*prefix);
  if (!text) return "bad prefix";
  const Result<Bytes> compressed = Base45Decode(*text);
  if (!compressed.ok()) return compressed.status().ToString();
  const std::optional<Bytes> cose = Inflate(*compressed, kMaxInflated);
  if (!cose) return "zlib inflate fails";
  const Result<CborPtr> claims = Claims(*cose);
  if (!claims.ok()) return claims.status().ToString();
  const cbor_item_t* dgc = Dgc(**claims);
  if (dgc == nullptr) return "no DGC";
  const json actual = ToJson(dgc, Tags::kDrop);
  if (actual != v.at("JSON")) return "DGC " + actual.dump() + " differs from JSON";
  return "";
}

std::string StepExpiration(const std::string&, const json& v) {
  const std::optional<Bytes> cose = Cose(v);
  if (!cose) return "no COSE";
  const Result<CborPtr> claims = Claims(*cose);
  if (!claims.ok()) return claims.status().ToString();
  const cbor_item_t* iat = internal::MapFind(**claims, kClaimIat);
  const cbor_item_t* exp = internal::MapFind(**claims, kClaimExp);
  if (iat == nullptr || exp == nullptr || !internal::AsInt(*iat) || !internal::AsInt(*exp)) {
    return "iat or exp missing";
  }
  const std::int64_t issued = internal::AsInt(*iat).value();
  const std::int64_t expires = internal::AsInt(*exp).value();
  const Result<Instant> clock =
      ParseRfc3339(v.at("TESTCTX").at("VALIDATIONCLOCK").get<std::string>());
  if (!clock.ok()) return "VALIDATIONCLOCK: " + clock.status().ToString();
  const std::int64_t now = ToUnixSeconds(*clock);
  if (now < issued) return "clock " + std::to_string(now) + " before iat " + std::to_string(issued);
  if (now > expires)
    return "clock " + std::to_string(now) + " after exp " + std::to_string(expires);
  return "";
}

std::string StepKeyUsage(const std::string&, const json& v) {
  const std::optional<Bytes> cose = Cose(v);
  const std::optional<Bytes> cert = CertificateDer(v);
  if (!cose || !cert) return "no COSE or certificate";
  const Result<CborPtr> claims = Claims(*cose);
  if (!claims.ok()) return claims.status().ToString();
  const cbor_item_t* dgc = Dgc(**claims);
  if (dgc == nullptr) return "no DGC";
  return KeyUsageCheck(*cert, *dgc);
}

// Issuer side: JSON encoded as CBOR is the same data as CBOR.
std::string StepEncode(const std::string&, const json& v) {
  const std::optional<Bytes> reference = HexField(v, "CBOR");
  if (!reference || !v.contains("JSON")) return "no JSON or CBOR";
  const Result<CborPtr> encoded = internal::DecodeStrict(internal::Encode(*FromJson(v.at("JSON"))),
                                                         {.max_bytes = 1 << 20, .max_depth = 16});
  if (!encoded.ok()) return encoded.status().ToString();
  const CborPtr expected = LoadReferenceCbor(*reference);
  if (expected == nullptr) return "CBOR field does not parse";
  // JSON has no tags: compare with the reference's tags dropped.
  if (ToJson(encoded->get(), Tags::kDrop) != ToJson(expected.get(), Tags::kDrop)) {
    return "encoded JSON differs from CBOR";
  }
  return "";
}

// Issuer side: the payload object is a well-formed DGC: ver, nam, dob and
// exactly one non-empty list of v, t or r.
std::string StepValidObject(const std::string&, const json& v) {
  if (!v.contains("JSON") || !v.at("JSON").is_object()) return "JSON is not an object";
  const json& dgc = v.at("JSON");
  if (!dgc.contains("ver") || !dgc.at("ver").is_string()) return "no ver";
  if (!dgc.contains("nam") || !dgc.at("nam").is_object()) return "no nam";
  if (!dgc.contains("dob") || !dgc.at("dob").is_string()) return "no dob";
  int lists = 0;
  for (const char* type : {"v", "t", "r"}) {
    if (dgc.contains(type)) {
      if (!dgc.at(type).is_array() || dgc.at(type).empty()) return std::string("empty ") + type;
      ++lists;
    }
  }
  return lists == 1 ? "" : "not exactly one of v, t, r";
}

std::string StepPicture(const std::string& file, const json& v) {
  const std::optional<std::string> prefix = Field(v, "PREFIX");
  if (!prefix) return "no PREFIX";
  const auto images = Images(file, v);
  if (images.empty()) return "no image";
  std::string why;
  for (const auto& [name, png] : images) {
    const std::optional<std::string> text = ReadCode(png);
    if (!text) {
      why += name + ": unreadable; ";
    } else if (*text != *prefix) {
      why += name + ": reads as another text; ";
    }
  }
  return why;
}

const std::map<std::string, StepFn> kSteps = {
    {"EXPECTEDUNPREFIX", StepUnprefix},
    {"EXPECTEDB45DECODE", StepBase45},
    {"EXPECTEDCOMPRESSION", StepCompression},
    {"EXPECTEDVERIFY", StepVerify},
    {"EXPECTEDDECODE", StepDecode},
    {"EXPECTEDVALIDJSON", StepValidJson},
    {"EXPECTEDEXPIRATIONCHECK", StepExpiration},
    {"EXPECTEDKEYUSAGE", StepKeyUsage},
    {"EXPECTEDENCODE", StepEncode},
    {"EXPECTEDVALIDOBJECT", StepValidObject},
    {"EXPECTEDPICTUREDECODE", StepPicture},
};

// Steps that cannot be run from the kept data, with the reason.
std::optional<std::string> Impossible(const std::string& file, const std::string& step,
                                      const json& v) {
  if (step == "EXPECTEDSCHEMAVALIDATION") {
    return "the DGC JSON schema (ehn-dcc-schema) is not among the kept vectors";
  }
  if (step == "EXPECTEDPICTUREDECODE" && Images(file, v).empty()) {
    return "no image of this code is kept (no 2DCODE field, no PNG file)";
  }
  return std::nullopt;
}

class DccVectorTest : public ::testing::TestWithParam<DccStep> {};

TEST_P(DccVectorTest, Step) {
  const DccStep& s = GetParam();
  const json& v = Load(s.file);
  ASSERT_TRUE(v.contains("EXPECTEDRESULTS")) << s.file << " has no EXPECTEDRESULTS";
  const json& expected_json = v.at("EXPECTEDRESULTS").at(s.step);
  ASSERT_TRUE(expected_json.is_boolean());
  const bool expected = expected_json.get<bool>();
  RecordProperty("description", v.at("TESTCTX").value("DESCRIPTION", ""));
  RecordProperty("expected", expected ? "true" : "false");
  if (const auto issue = KnownIssueFor(s)) GTEST_SKIP() << "known upstream issue: " << *issue;
  if (const auto reason = Impossible(s.file, s.step, v)) {
    GTEST_SKIP() << s.step << " (expected " << expected << ") not run: " << *reason;
  }
  const auto step = kSteps.find(s.step);
  ASSERT_NE(step, kSteps.end()) << "no implementation of step " << s.step;
  const std::string why = step->second(s.file, v);
  if (expected) {
    EXPECT_EQ(why, "") << s.step << " should succeed";
  } else {
    EXPECT_NE(why, "") << s.step << " should fail but succeeded";
    RecordProperty("failed_because", why);
  }
}

std::string TestName(const ::testing::TestParamInfo<DccStep>& info) {
  std::string name = Country(info.param.file) + "_" + Stem(info.param.file) + "_" +
                     info.param.step.substr(info.param.step.starts_with("EXPECTED") ? 8 : 0);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Dcc, DccVectorTest, ::testing::ValuesIn(DccSteps()), TestName);

TEST(DccVectors, EveryFileIsListed) {
  EXPECT_EQ(testing::JsonFilesUnder("dcc").size(), 58u);
  EXPECT_EQ(DccSteps().size(), 256u);
}

TEST(DccVectors, KnownIssuesAreRead) {
  const std::vector<KnownIssue> issues = KnownIssues();
  ASSERT_FALSE(issues.empty());
  int affected = 0;
  for (const DccStep& s : DccSteps()) affected += KnownIssueFor(s) ? 1 : 0;
  // FORMAT.md: none of the kept countries is listed.
  EXPECT_EQ(affected, 0);
  RecordProperty("known_issues", static_cast<int>(issues.size()));
}

}  // namespace
}  // namespace citycode::code
