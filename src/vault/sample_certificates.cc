#include "vault/sample_certificates.h"

#include "vault/certificate_id.h"

namespace citycode::vault {
namespace {

// A value of the right shape for a face field; sex and birth date follow
// the holder's ID number.
std::string FieldValue(std::string_view key, const SampleHolder& holder,
                       std::string_view issue_date, std::uint64_t serial) {
  const std::string& id = holder.id_number;
  if (key == "sex") return id.size() == 18 && (id[16] - '0') % 2 == 1 ? "男" : "女";
  if (key == "birth_date" && id.size() == 18) {
    return id.substr(6, 4) + "-" + id.substr(10, 2) + "-" + id.substr(12, 2);
  }
  if (key.ends_with("_date") || key == "birth_date") return std::string(issue_date);
  if (key == "ethnicity") return "汉";
  if (key == "address" || key == "location")
    return "山东省青岛市即墨区鹤山路" + std::to_string(serial % 500 + 1) + "号";
  if (key == "licence_class") return "C1";
  if (key == "household_type") return "家庭户";
  if (key == "relationship") return "户主";
  if (key == "guardian_name") return "监护人";
  if (key == "guardian_id_number") return "11010519491231002X";
  if (key == "ward_kind") return "minor";
  if (key == "disability_category") return "肢体";
  if (key == "disability_level") return "三级";
  if (key == "school") return "青岛示例大学";
  if (key == "householder_name" || key == "legal_representative") return holder.name;
  if (key == "spouse_name") return "配偶";
  if (key == "spouse_id_number") return "11010519491231002X";
  if (key == "social_security_number") return id.substr(0, 18);
  if (key == "vin") return "LSVAM4187C2" + std::to_string(100000 + serial % 900000);
  if (key == "plate_number") return "鲁B" + std::to_string(10000 + serial % 90000);
  if (key == "entity_name") return "即墨示例商贸有限公司";
  if (key == "entity_type") return "有限责任公司";
  if (key == "business_scope") return "日用百货销售";
  if (key == "degree") return "工学学士";
  if (key == "institution") return "青岛示例大学";
  if (key == "area") return "89.5平方米";
  return std::to_string(1'000'000 + serial % 9'000'000);  // numbers of all kinds
}

}  // namespace

Result<Certificate> SampleCertificate(const CertificateType& type, const SampleHolder& holder,
                                      const SampleIssuer& issuer, std::uint64_t serial,
                                      std::string_view issue_date, std::string_view valid_until) {
  CITYCODE_ASSIGN_OR_RETURN(CertificateId id, MakeCertificateId(type.code, issuer.credit_code,
                                                                std::to_string(serial), 1));
  Certificate c{.identifier = id.ToString(),
                .type_code = type.code,
                .name = type.name,
                .holder_name = holder.name,
                .holder_id_type = std::string(HolderIdTypeCode(type.holder_id_type)),
                .holder_id_number = holder.id_number,
                .issuer_name = issuer.name,
                .issuer_code = issuer.credit_code,
                .issue_date = std::string(issue_date),
                .valid_from = std::string(issue_date),
                .valid_until = std::string(valid_until)};
  for (const FaceField& field : type.fields) {
    std::string value = FieldValue(field.key, holder, issue_date, serial);
    if (value.size() > field.max_length) value.resize(field.max_length);  // ASCII fallbacks only
    c.fields[field.key] = std::move(value);
  }
  return c;
}

}  // namespace citycode::vault
