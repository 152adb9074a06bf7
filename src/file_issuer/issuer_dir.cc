#include "file_issuer/issuer_dir.h"

#include <algorithm>

#include "common/files.h"
#include "crypto/random.h"

namespace citycode::file_issuer {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

Result<crypto::PrivateKey> LoadPrivateKey(const std::filesystem::path& path) {
  CITYCODE_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, kMaxKeyFileBytes));
  auto key = crypto::PrivateKey::FromPem(pem);
  if (!key.ok()) return InvalidArgument(path.string() + ": " + key.status().message());
  return key;
}

Result<std::string> ReadList(const std::filesystem::path& path) {
  return ReadFile(path, code::kMaxListBytes);
}

}  // namespace

Result<IssuerDir> IssuerDir::Init(const std::filesystem::path& dir, const IssuerOptions& options,
                                  const Clock& clock) {
  if (options.issuer_id.empty()) return InvalidArgument("issuer id must not be empty");
  CITYCODE_RETURN_IF_ERROR(CreatePrivateDirectory(dir));
  if (std::filesystem::exists(dir / "root.key") || std::filesystem::exists(dir / "trust.json")) {
    return AlreadyExists(dir.string() + " already holds an issuer");
  }
  CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey root,
                            crypto::PrivateKey::Generate(options.algorithm));
  CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey signer,
                            crypto::PrivateKey::Generate(options.algorithm));
  IssuerDir issuer(dir, clock, std::move(root), std::move(signer));
  issuer.options_ = options;
  const Instant now = clock.Now();
  issuer.trust_list_ = code::TrustList{
      .version = 1,
      .issuer = options.issuer_id,
      .issued_at = now,
      .expires_at = now + options.trust_list_lifetime,
      .keys = {{issuer.signer_.public_key(), now, now + options.signing_key_lifetime}}};
  issuer.revocation_list_ =
      code::RevocationList{.version = 1,
                           .issued_at = now,
                           .expires_at = now + options.revocation_list_lifetime,
                           .entries = {}};
  CITYCODE_ASSIGN_OR_RETURN(std::string trust_jws,
                            code::SignTrustList(issuer.trust_list_, issuer.root_));
  CITYCODE_ASSIGN_OR_RETURN(std::string revoked_jws,
                            code::SignRevocationList(issuer.revocation_list_, issuer.root_));
  // Private keys first: if a crash cuts this short, the directory holds no
  // lists and Init can simply be run again after removing it.
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(dir / "root.key", issuer.root_.ToPem(), 0600));
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(dir / "signing.key", issuer.signer_.ToPem(), 0600));
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(dir / "root.pem", issuer.root_.public_key().ToPem()));
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(dir / "revoked.json", revoked_jws));
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(dir / "trust.json", trust_jws));
  return issuer;
}

Result<IssuerDir> IssuerDir::Open(const std::filesystem::path& dir, const Clock& clock) {
  CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey root, LoadPrivateKey(dir / "root.key"));
  CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey signer, LoadPrivateKey(dir / "signing.key"));
  IssuerDir issuer(dir, clock, std::move(root), std::move(signer));
  CITYCODE_ASSIGN_OR_RETURN(std::string trust_jws, ReadList(dir / "trust.json"));
  CITYCODE_ASSIGN_OR_RETURN(std::string revoked_jws, ReadList(dir / "revoked.json"));
  auto trust = code::VerifyTrustList(trust_jws, issuer.root_.public_key());
  if (!trust.ok())
    return Status(trust.status().code(),
                  (dir / "trust.json").string() + ": " + trust.status().message());
  auto revoked = code::VerifyRevocationList(revoked_jws, issuer.root_.public_key());
  if (!revoked.ok())
    return Status(revoked.status().code(),
                  (dir / "revoked.json").string() + ": " + revoked.status().message());
  issuer.trust_list_ = *std::move(trust);
  issuer.revocation_list_ = *std::move(revoked);
  issuer.options_.algorithm = issuer.signer_.algorithm();
  issuer.options_.issuer_id = issuer.trust_list_.issuer;
  return issuer;
}

Result<IssuedCredential> IssuerDir::Issue(const CredentialRequest& request) const {
  if (request.lifetime <= std::chrono::seconds::zero()) {
    return InvalidArgument("credential lifetime must be positive");
  }
  const Instant now = clock_->Now();
  code::CredentialClaims claims{.issuer = trust_list_.issuer,
                                .subject = crypto::RandomArray<16>(),
                                .issued_at = now,
                                .expires_at = now + request.lifetime,
                                .id = crypto::RandomArray<code::kCredentialIdSize>(),
                                .device_key = request.device_key,
                                .scenes = request.scenes,
                                .channel = request.channel,
                                .rider_category = request.rider_category};
  CITYCODE_ASSIGN_OR_RETURN(Bytes bytes, code::IssueCredential(claims, signer_));
  return IssuedCredential{std::move(bytes), std::move(claims)};
}

Status IssuerDir::Revoke(const code::CredentialId& cti) {
  code::RevocationList next = revocation_list_;
  const Instant now = clock_->Now();
  next.version += 1;
  next.issued_at = std::max(now, revocation_list_.issued_at);
  next.expires_at = next.issued_at + options_.revocation_list_lifetime;
  const code::RevocationEntry entry = code::RevocationEntryFor(cti);
  auto pos = std::lower_bound(next.entries.begin(), next.entries.end(), entry);
  if (pos == next.entries.end() || *pos != entry) next.entries.insert(pos, entry);
  CITYCODE_ASSIGN_OR_RETURN(std::string jws, code::SignRevocationList(next, root_));
  CITYCODE_RETURN_IF_ERROR(WriteFileAtomic(dir_ / "revoked.json", jws));
  revocation_list_ = std::move(next);
  return OkStatus();
}

}  // namespace citycode::file_issuer
