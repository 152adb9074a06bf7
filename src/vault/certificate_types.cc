#include "vault/certificate_types.h"

namespace citycode::vault {
namespace {

// The defining authorities' credit codes are this demo city's registry
// values, made up for it; they are not the ministries' official codes, and
// the type numbers are not the national catalogue's. A deployment loads its
// own.
constexpr std::string_view kPublicSecurity = "11100000000012001A";
constexpr std::string_view kCivilAffairs = "11100000000012002B";
constexpr std::string_view kMarketRegulation = "11100000000012003C";
constexpr std::string_view kHumanResources = "11100000000012004D";
constexpr std::string_view kHealthcareSecurity = "11100000000012005E";
constexpr std::string_view kNaturalResources = "11100000000012006F";
constexpr std::string_view kEducation = "11100000000012007G";
constexpr std::string_view kDisabledPersons = "11100000000012008H";
constexpr std::string_view kHealth = "11100000000012009J";

std::string Code(std::string_view authority, std::string_view number) {
  return std::string(authority) + std::string(number);
}

std::vector<CertificateType> MakeTypes() {
  using enum HolderIdType;
  return {
      {.code = Code(kPublicSecurity, "001"),
       .key = "resident_id_card",
       .name = "居民身份证",
       .authority_kind = "public_security",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"sex", "性别", true, 8},
                  {"ethnicity", "民族", true, 16},
                  {"birth_date", "出生", true, 10},
                  {"address", "住址", true, 128}}},
      {.code = Code(kPublicSecurity, "002"),
       .key = "household_register",
       .name = "居民户口簿",
       .authority_kind = "public_security",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"household_number", "户号", true, 32},
                  {"household_type", "户别", true, 16},
                  {"householder_name", "户主姓名", true, 64},
                  {"relationship", "与户主关系", true, 16},
                  {"address", "住址", true, 128}}},
      {.code = Code(kPublicSecurity, "003"),
       .key = "driving_licence",
       .name = "机动车驾驶证",
       .authority_kind = "public_security",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"licence_class", "准驾车型", true, 16},
                  {"first_issue_date", "初次领证日期", true, 10},
                  {"file_number", "档案编号", false, 16}}},
      {.code = Code(kPublicSecurity, "004"),
       .key = "vehicle_licence",
       .name = "机动车行驶证",
       .authority_kind = "public_security",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"plate_number", "号牌号码", true, 16},
                  {"vehicle_type", "车辆类型", true, 32},
                  {"brand_model", "品牌型号", true, 64},
                  {"vin", "车辆识别代号", true, 17},
                  {"use_character", "使用性质", true, 16},
                  {"registration_date", "注册日期", true, 10},
                  {"engine_number", "发动机号码", false, 32}}},
      {.code = Code(kMarketRegulation, "001"),
       .key = "business_licence",
       .name = "营业执照",
       .authority_kind = "market_regulation",
       .holder_id_type = kCreditCode,
       .fields = {{"entity_name", "名称", true, 128},
                  {"entity_type", "类型", true, 64},
                  {"legal_representative", "法定代表人", true, 64},
                  {"registered_capital", "注册资本", false, 64},
                  {"established_date", "成立日期", true, 10},
                  {"business_scope", "经营范围", true, 512},
                  {"address", "住所", true, 128}}},
      {.code = Code(kCivilAffairs, "001"),
       .key = "marriage_certificate",
       .name = "结婚证",
       .authority_kind = "civil_affairs",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"certificate_number", "结婚证字号", true, 32},
                  {"registration_date", "登记日期", true, 10},
                  {"spouse_name", "配偶姓名", true, 64},
                  {"spouse_id_number", "配偶身份证件号", true, 18}}},
      // Names the guardian of the holder (a minor, or an adult under
      // guardianship): what lets a guardian act for them (vault.h,
      // dependants). ward_kind is "minor" or "adult".
      {.code = Code(kCivilAffairs, "002"),
       .key = "guardianship_certificate",
       .name = "监护关系证明",
       .authority_kind = "civil_affairs",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"guardian_name", "监护人姓名", true, 64},
                  {"guardian_id_number", "监护人身份证件号", true, 18},
                  {"relationship", "与被监护人关系", true, 16},
                  {"ward_kind", "被监护人类别", true, 8}}},
      {.code = Code(kHumanResources, "001"),
       .key = "social_security_card",
       .name = "社会保障卡",
       .authority_kind = "human_resources_social_security",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"social_security_number", "社会保障号码", true, 18},
                  {"card_number", "卡号", true, 16},
                  {"insured_region", "参保地", true, 64}}},
      {.code = Code(kHealthcareSecurity, "001"),
       .key = "medical_insurance_card",
       .name = "医疗保障卡",
       .authority_kind = "healthcare_security",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"medical_insurance_number", "医保号", true, 32},
                  {"insurance_type", "险种类型", true, 32},
                  {"insured_region", "参保地", true, 64}}},
      {.code = Code(kNaturalResources, "001"),
       .key = "real_estate_certificate",
       .name = "不动产权证书",
       .authority_kind = "natural_resources",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"certificate_number", "证书编号", true, 64},
                  {"unit_number", "不动产单元号", true, 28},
                  {"location", "坐落", true, 128},
                  {"right_type", "权利类型", true, 64},
                  {"right_nature", "权利性质", true, 32},
                  {"usage", "用途", true, 32},
                  {"area", "面积", true, 64},
                  {"co_ownership", "共有情况", false, 64}}},
      {.code = Code(kEducation, "001"),
       .key = "degree_certificate",
       .name = "学位证书",
       .authority_kind = "education",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"certificate_number", "证书编号", true, 32},
                  {"degree", "学位", true, 32},
                  {"discipline", "学科门类", true, 32},
                  {"institution", "授予单位", true, 128},
                  {"conferral_date", "授予日期", true, 10}}},
      // The two that give a concession fare to a verified holder
      // (Impl::Concession): a disability certificate, a student card.
      {.code = Code(kDisabledPersons, "001"),
       .key = "disability_certificate",
       .name = "残疾人证",
       .authority_kind = "disabled_persons_federation",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"disability_category", "残疾类别", true, 16},
                  {"disability_level", "残疾等级", true, 8}}},
      {.code = Code(kEducation, "002"),
       .key = "student_card",
       .name = "学生证",
       .authority_kind = "education",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"school", "学校", true, 128},
                  {"student_number", "学号", true, 32},
                  {"enrolment_date", "入学日期", true, 10}}},
      // Health records, issued by the hospitals themselves. The summary's
      // limit is the visit's (2000 bytes), within a certificate string's.
      {.code = Code(kHealth, "001"),
       .key = "visit_summary",
       .name = "门诊病历",
       .authority_kind = "health",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"department", "科室", true, 64},
                  {"clinician", "医师", true, 64},
                  {"visit_date", "就诊日期", true, 10},
                  {"summary", "病历摘要", true, 2000, true}},
       .health = true},
      {.code = Code(kHealth, "002"),
       .key = "lab_result",
       .name = "检验报告",
       .authority_kind = "health",
       .holder_id_type = kCitizenIdNumber,
       .fields = {{"test_name", "检验项目", true, 64},
                  {"result", "结果", true, 64},
                  {"unit", "单位", false, 16},
                  {"reference_range", "参考范围", false, 32},
                  {"collected_on", "采样日期", true, 10}},
       .health = true},
  };
}

}  // namespace

std::string_view HolderIdTypeCode(HolderIdType type) {
  switch (type) {
    case HolderIdType::kCitizenIdNumber: return "111";
    case HolderIdType::kCreditCode: return "001";
  }
  return "";
}

Result<HolderIdType> HolderIdTypeFromCode(std::string_view code) {
  if (code == "111") return HolderIdType::kCitizenIdNumber;
  if (code == "001") return HolderIdType::kCreditCode;
  return InvalidArgument("holder_id_type must be 111 or 001");
}

const std::vector<CertificateType>& SeededCertificateTypes() {
  // Built once, never destroyed: returned pointers must outlive static
  // destruction of callers' objects.
  static const auto* const types = new std::vector<CertificateType>(MakeTypes());
  return *types;
}

const CertificateType* FindCertificateType(std::string_view code_or_key) {
  for (const CertificateType& type : SeededCertificateTypes()) {
    if (type.code == code_or_key || type.key == code_or_key) return &type;
  }
  return nullptr;
}

}  // namespace citycode::vault
