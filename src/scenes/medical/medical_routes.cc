// Routes of the medical scene: a hospital's departments, clinicians,
// schedules and terminal roles (its administrators or the platform's), its
// open slots (citizens and its terminals), and registration (挂号) from the
// citizen's session or at a kiosk by the code; visits (就诊, walk-ins too)
// checked in and closed at the clinician's desk, and prescriptions dispensed
// (取药) at the pharmacy, by the code; health records, read by the patient
// and by another hospital under the patient's consent; the patient's bill
// and the hospital's revenue of a day; the same for a guardian's
// dependants. Terminals never get a citizen's id.
#include <nlohmann/json.hpp>

#include "api/route.h"
#include "scenes/medical/medical.h"

namespace citycode::medical {
namespace {

using api::Call;
using api::FieldType;
using api::Method;
using api::Param;
using api::Respond;
using api::RouteSpec;
using api::Text;
using nlohmann::json;
using platform::Role;

const std::vector<Role> kCitizensAndTerminals = {Role::kCitizen, Role::kTerminal};

std::string QueryText(const Call& call, const char* name) {
  auto it = call.request.query.find(name);
  return it == call.request.query.end() ? std::string() : it->second;
}

std::int64_t Integer(const Call& call, const char* name) {
  return call.body.at(name).get<std::int64_t>();
}

json DepartmentJson(const Department& d) {
  return {{"id", d.id},
          {"org_id", d.org_id},
          {"name", d.name},
          {"created_at", FormatRfc3339(d.created_at)}};
}

json ClinicianJson(const Clinician& c) {
  return {{"id", c.id},     {"org_id", c.org_id}, {"department_id", c.department_id},
          {"name", c.name}, {"title", c.title},   {"created_at", FormatRfc3339(c.created_at)}};
}

json TerminalJson(const MedicalTerminal& t) {
  json out = {{"terminal_id", t.terminal_id},
              {"org_id", t.org_id},
              {"role", TerminalRoleName(t.role)},
              {"updated_at", FormatRfc3339(t.updated_at)}};
  if (!t.clinician_id.empty()) out["clinician_id"] = t.clinician_id;
  return out;
}

json SlotJson(const Slot& s) {
  return {{"id", s.id},
          {"schedule_id", s.schedule_id},
          {"org_id", s.org_id},
          {"org_name", s.org_name},
          {"department", {{"id", s.department_id}, {"name", s.department_name}}},
          {"clinician",
           {{"id", s.clinician_id}, {"name", s.clinician_name}, {"title", s.clinician_title}}},
          {"day", s.day},
          {"starts_at", FormatRfc3339(s.starts_at)},
          {"ends_at", FormatRfc3339(s.ends_at)},
          {"capacity", s.capacity},
          {"booked", s.booked},
          {"remaining", s.capacity - s.booked},
          {"fee_fen", s.fee_fen},
          {"stopped", s.stopped}};
}

json SlotsJson(const std::vector<Slot>& slots) {
  json out = json::array();
  for (const Slot& s : slots) out.push_back(SlotJson(s));
  return json{{"slots", out}};
}

json ScheduleJson(const Schedule& s) {
  json out = {{"id", s.id},
              {"org_id", s.org_id},
              {"clinician_id", s.clinician_id},
              {"department_id", s.department_id},
              {"day", s.day},
              {"starts_at", FormatRfc3339(s.starts_at)},
              {"ends_at", FormatRfc3339(s.ends_at)}};
  out.update(SlotsJson(s.slots));
  return out;
}

// Without the citizen's id: the citizen knows it, a terminal must not.
json AppointmentJson(const Appointment& a) {
  json out = {{"id", a.id},
              {"slot", SlotJson(a.slot)},
              {"state", AppointmentStateName(a.state)},
              {"channel", BookingChannelName(a.channel)},
              {"booked_at", FormatRfc3339(a.booked_at)}};
  if (a.cancelled_at) out["cancelled_at"] = FormatRfc3339(*a.cancelled_at);
  return out;
}

json AppointmentsJson(const std::vector<Appointment>& appointments) {
  json out = json::array();
  for (const Appointment& a : appointments) out.push_back(AppointmentJson(a));
  return json{{"appointments", out}};
}

json ScheduleStopJson(const ScheduleStop& s) {
  return {{"schedule_id", s.schedule_id},
          {"stopped_at", FormatRfc3339(s.stopped_at)},
          {"reason", s.reason},
          {"appointments_stopped", s.appointments_stopped},
          {"refund_fen", s.refund_fen}};
}

json NoticesJson(const std::vector<Notice>& notices) {
  json out = json::array();
  for (const Notice& n : notices) {
    out.push_back({{"id", n.id},
                   {"kind", n.kind},
                   {"appointment_id", n.appointment_id},
                   {"schedule_id", n.schedule_id},
                   {"org_id", n.org_id},
                   {"org_name", n.org_name},
                   {"clinician_name", n.clinician_name},
                   {"department_name", n.department_name},
                   {"slot_starts_at", FormatRfc3339(n.slot_starts_at)},
                   {"reason", n.reason},
                   {"refund_fen", n.refund_fen},
                   {"created_at", FormatRfc3339(n.created_at)}});
  }
  return json{{"notices", out}};
}

json BookingStatusJson(const BookingStatus& b) {
  return {{"no_shows_in_window", b.no_shows_in_window},
          {"limit", b.limit},
          {"window_days", b.window_days},
          {"block_days", b.block_days},
          {"blocked_until", b.blocked_until ? json(FormatRfc3339(*b.blocked_until)) : json()}};
}

json PostingJson(const Posting& p) {
  json out = {{"id", p.id},
              {"kind", PostingKindName(p.kind)},
              {"org_id", p.org_id},
              {"org_name", p.org_name},
              {"amount_fen", p.amount_fen},
              {"posted_at", FormatRfc3339(p.posted_at)}};
  if (!p.appointment_id.empty()) out["appointment_id"] = p.appointment_id;
  if (!p.prescription_id.empty()) out["prescription_id"] = p.prescription_id;
  return out;
}

json BillJson(const Bill& bill) {
  json postings = json::array();
  for (const Posting& p : bill.postings) postings.push_back(PostingJson(p));
  return {{"postings", postings},
          {"charged_fen", bill.charged_fen},
          {"refunded_fen", bill.refunded_fen},
          {"owed_fen", bill.owed_fen}};
}

json DayRevenueJson(const DayRevenue& r) {
  return {{"org_id", r.org_id},           {"day", r.day},
          {"charged_fen", r.charged_fen}, {"refunded_fen", r.refunded_fen},
          {"net_fen", r.net_fen},         {"postings", r.postings}};
}

void AddFeeRoutes(MedicalScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/medical/bill",
                    .name = "medical_my_bill",
                    .summary = "The session's citizen's fees, refunds and prescriptions, newest "
                               "first, with their totals",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CitizenBill(call.principal->citizen_id), 200, BillJson);
                    }});
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/orgs/{org}/medical/revenue",
       .name = "medical_revenue",
       .summary = "The hospital's charges and refunds posted on a local day (?day=YYYY-MM-DD)",
       .roles = api::kOrgAdmins,
       .handler = [&scene](Call& call) {
         return Respond(scene.HospitalRevenue(Param(call, "org"), QueryText(call, "day")), 200,
                        DayRevenueJson);
       }});
}

void AddFacilityRoutes(MedicalScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/medical/departments",
                    .name = "medical_create_department",
                    .summary = "Add a department (科室) to a hospital",
                    .roles = api::kOrgAdmins,
                    .body = {{.name = "name", .max_length = 64, .description = "e.g. 内科"}},
                    .success_status = 201,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CreateDepartment(Param(call, "org"), Text(call, "name")),
                                     201, DepartmentJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/medical/departments",
                    .name = "medical_list_departments",
                    .summary = "The hospital's departments",
                    .roles = api::kOrgAdmins,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListDepartments(Param(call, "org")), 200,
                                     [](const std::vector<Department>& list) {
                                       json out = json::array();
                                       for (const auto& d : list) out.push_back(DepartmentJson(d));
                                       return json{{"departments", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/medical/clinicians",
                    .name = "medical_create_clinician",
                    .summary = "Add a clinician to a department of the hospital",
                    .roles = api::kOrgAdmins,
                    .body = {{.name = "name", .max_length = 64},
                             {.name = "title", .max_length = 32, .description = "e.g. 主任医师"},
                             {.name = "department_id", .max_length = 64}},
                    .success_status = 201,
                    .handler = [&scene](Call& call) {
                      return Respond(
                          scene.CreateClinician(Param(call, "org"), Text(call, "department_id"),
                                                Text(call, "name"), Text(call, "title")),
                          201, ClinicianJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/medical/clinicians",
                    .name = "medical_list_clinicians",
                    .summary = "The hospital's clinicians",
                    .roles = api::kOrgAdmins,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListClinicians(Param(call, "org")), 200,
                                     [](const std::vector<Clinician>& list) {
                                       json out = json::array();
                                       for (const auto& c : list) out.push_back(ClinicianJson(c));
                                       return json{{"clinicians", out}};
                                     });
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/medical/schedules",
       .name = "medical_create_schedule",
       .summary = "A clinician's session on a local day, published as slots",
       .roles = api::kOrgAdmins,
       .body = {{.name = "clinician_id", .max_length = 64},
                {.name = "day",
                 .max_length = 10,
                 .description = "the city's local day, YYYY-MM-DD"},
                {.name = "start", .max_length = 5, .description = "local time HH:MM"},
                {.name = "end", .max_length = 5, .description = "local time HH:MM"},
                {.name = "slot_minutes",
                 .type = FieldType::kInteger,
                 .description = "each slot's length; divides the session"},
                {.name = "capacity", .type = FieldType::kInteger, .description = "places a slot"},
                {.name = "fee_fen", .type = FieldType::kInteger, .description = "fee in fen"}},
       .success_status = 201,
       .handler = [&scene](Call& call) {
         return Respond(scene.CreateSchedule(Param(call, "org"),
                                             {.clinician_id = Text(call, "clinician_id"),
                                              .day = Text(call, "day"),
                                              .start = Text(call, "start"),
                                              .end = Text(call, "end"),
                                              .slot_minutes = Integer(call, "slot_minutes"),
                                              .capacity = Integer(call, "capacity"),
                                              .fee_fen = Integer(call, "fee_fen")}),
                        201, ScheduleJson);
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/medical/terminals",
       .name = "medical_register_terminal",
       .summary = "Give one of the hospital's terminals its role (kiosk, desk, pharmacy), "
                  "replacing any it had",
       .roles = api::kOrgAdmins,
       .body = {{.name = "terminal_id", .max_length = 64},
                {.name = "role", .max_length = 16, .description = "kiosk, desk or pharmacy"},
                {.name = "clinician_id",
                 .required = false,
                 .max_length = 64,
                 .description = "a desk's clinician, of the hospital; only for a desk"}},
       .handler = [&scene](Call& call) {
         auto role = TerminalRoleFromName(Text(call, "role"));
         if (!role.ok()) return api::ErrorResponse(role.status());
         return Respond(scene.RegisterTerminal(Param(call, "org"), Text(call, "terminal_id"), *role,
                                               Text(call, "clinician_id")),
                        200, TerminalJson);
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/medical/terminals",
                    .name = "medical_list_terminals",
                    .summary = "The hospital's terminals that have a role",
                    .roles = api::kOrgAdmins,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListTerminals(Param(call, "org")), 200,
                                     [](const std::vector<MedicalTerminal>& list) {
                                       json out = json::array();
                                       for (const auto& t : list) out.push_back(TerminalJson(t));
                                       return json{{"terminals", out}};
                                     });
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/medical/schedules/{schedule}/stop",
       .name = "medical_stop_schedule",
       .summary = "Stop a session (停诊): its bookings are stopped and each patient is told",
       .roles = api::kOrgAdmins,
       .body = {{.name = "reason", .max_length = 200, .description = "told to the patients"}},
       .handler = [&scene](Call& call) {
         return Respond(
             scene.StopSchedule(Param(call, "org"), Param(call, "schedule"), Text(call, "reason")),
             200, ScheduleStopJson);
       }});
}

void AddRegistrationRoutes(MedicalScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/medical/hospitals",
                    .name = "medical_hospitals",
                    .summary = "The hospitals and health centres one may book at",
                    .roles = kCitizensAndTerminals,
                    .handler = [&scene](Call&) {
                      return Respond(scene.ListHospitals(), 200,
                                     [](const std::vector<platform::Organisation>& orgs) {
                                       json out = json::array();
                                       for (const auto& org : orgs)
                                         out.push_back({{"org_id", org.id}, {"name", org.name}});
                                       return json{{"hospitals", out}};
                                     });
                    }});
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/medical/slots",
       .name = "medical_open_slots",
       .summary = "A hospital's slots open for booking on a local day (?org_id=…&day=YYYY-MM-DD)",
       .roles = kCitizensAndTerminals,
       .handler = [&scene](Call& call) {
         return Respond(scene.ListOpenSlots(*call.principal, QueryText(call, "org_id"),
                                            QueryText(call, "day")),
                        200, SlotsJson);
       }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/medical/appointments",
                    .name = "medical_book",
                    .summary = "Book a slot (挂号) for the session's citizen",
                    .roles = api::kCitizens,
                    .body = {{.name = "slot_id", .max_length = 64}},
                    .success_status = 201,
                    .handler = [&scene](Call& call) {
                      return Respond(
                          scene.BookOnline(call.principal->citizen_id, Text(call, "slot_id")), 201,
                          AppointmentJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/medical/appointments",
                    .name = "medical_my_appointments",
                    .summary = "The session's citizen's appointments, newest slot first",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CitizenAppointments(call.principal->citizen_id), 200,
                                     AppointmentsJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/medical/notices",
                    .name = "medical_my_notices",
                    .summary = "The session's citizen's notices (stopped sessions), newest first",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CitizenNotices(call.principal->citizen_id), 200,
                                     NoticesJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/medical/booking-status",
                    .name = "medical_my_booking_status",
                    .summary = "The no-show policy, one's no-shows and any block of online booking",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CitizenBookingStatus(call.principal->citizen_id), 200,
                                     BookingStatusJson);
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/me/medical/appointments/{appointment}/cancel",
       .name = "medical_cancel",
       .summary = "Cancel one's appointment before its slot starts; the place is freed",
       .roles = api::kCitizens,
       .handler = [&scene](Call& call) {
         return Respond(
             scene.CancelAppointment(call.principal->citizen_id, Param(call, "appointment")), 200,
             AppointmentJson);
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/medical/registrations",
       .name = "medical_register_at_terminal",
       .summary = "Scan the citizen's code at a hospital kiosk or window and book a slot (挂号)",
       .roles = api::kTerminals,
       .body = {{.name = "qr", .max_length = 4096, .description = "the CC1: text"},
                {.name = "slot_id", .max_length = 64}},
       .success_status = 201,
       .answer_later = [&scene](Call& call, api::Reply reply) {
         scene.BookAtTerminalThen(*call.principal, Text(call, "qr"), Text(call, "slot_id"), {},
                                  [reply = std::move(reply)](Result<Appointment> booked) {
                                    reply(Respond(booked, 201, AppointmentJson));
                                  });
       }});
}

json EncounterJson(const Encounter& e) {
  json out = {{"id", e.id},
              {"appointment_id", e.appointment_id},
              {"org_id", e.org_id},
              {"clinician_id", e.clinician_id},
              {"state", e.closed_at ? "closed" : "open"},
              {"opened_at", FormatRfc3339(e.opened_at)}};
  if (e.closed_at) {
    out["closed_at"] = FormatRfc3339(*e.closed_at);
    out["record_identifier"] = e.record_identifier;  // the visit summary in the vault
  }
  return out;
}

json EncountersJson(const std::vector<Encounter>& encounters) {
  json out = json::array();
  for (const Encounter& e : encounters) out.push_back(EncounterJson(e));
  return json{{"encounters", out}};
}

// A health record as its patient (or a reading hospital) sees it.
json RecordJson(const vault::SignedCertificate& signed_record) {
  const vault::Certificate& c = signed_record.certificate;
  const vault::CertificateType* type = vault::FindCertificateType(c.type_code);
  return {{"identifier", c.identifier}, {"type", type != nullptr ? type->key : c.type_code},
          {"type_name", c.name},        {"issuer_name", c.issuer_name},
          {"issue_date", c.issue_date}, {"status", vault::CertificateStatusName(c.status)},
          {"fields", c.fields}};
}

json RecordsJson(const std::vector<vault::SignedCertificate>& records) {
  json out = json::array();
  for (const auto& record : records) out.push_back(RecordJson(record));
  return json{{"records", out}};
}

json ReleaseJson(const vault::Release& release) {
  json records = json::array();
  for (const vault::FetchedCertificate& fetched : release.certificates) {
    records.push_back(RecordJson(fetched.certificate));
  }
  json missing = json::array();
  for (const vault::MissingCertificate& m : release.missing) {
    missing.push_back({{"type_code", m.type_code}, {"reason", m.reason}});
  }
  return {{"records", records},
          {"missing", missing},
          {"release", release.release_json},
          {"key_id", release.key_id},
          {"signature", Base64UrlEncode(release.signature)}};
}

json PrescriptionJson(const Prescription& p) {
  json items = json::array();
  for (const PrescriptionItem& item : p.items) {
    items.push_back({{"drug", item.drug},
                     {"quantity", item.quantity},
                     {"unit_price_fen", item.unit_price_fen}});
  }
  json out = {{"id", p.id},
              {"encounter_id", p.encounter_id},
              {"org_id", p.org_id},
              {"items", items},
              {"total_fen", p.total_fen},
              {"issued_at", FormatRfc3339(p.issued_at)},
              {"valid_until", FormatRfc3339(p.valid_until)},
              {"state", p.dispensed_at ? "dispensed" : "issued"}};
  if (p.dispensed_at) {
    out["dispensed_at"] = FormatRfc3339(*p.dispensed_at);
    out["queue_number"] = p.queue_number;
  }
  return out;
}

json PrescriptionsJson(const std::vector<Prescription>& prescriptions) {
  json out = json::array();
  for (const Prescription& p : prescriptions) out.push_back(PrescriptionJson(p));
  return json{{"prescriptions", out}};
}

// {items: [{drug, quantity, unit_price_fen}]}; the use case checks the
// values.
Result<PrescriptionRequest> ParsePrescription(const json& in) {
  PrescriptionRequest out;
  if (!in.is_object() || !in.contains("items") || !in["items"].is_array() || in.size() != 1) {
    return InvalidArgument("a prescription is {items: [...]}", "bad_prescription");
  }
  for (const json& item : in["items"]) {
    if (!item.is_object() || item.size() != 3 || !item.contains("drug") ||
        !item["drug"].is_string() || !item.contains("quantity") ||
        !item["quantity"].is_number_integer() || !item.contains("unit_price_fen") ||
        !item["unit_price_fen"].is_number_integer()) {
      return InvalidArgument("an item is {drug, quantity, unit_price_fen}", "bad_prescription");
    }
    out.items.push_back({.drug = item["drug"].get<std::string>(),
                         .quantity = item["quantity"].get<std::int64_t>(),
                         .unit_price_fen = item["unit_price_fen"].get<std::int64_t>()});
  }
  return out;
}

void AddVisitRoutes(MedicalScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/medical/check-ins",
       .name = "medical_check_in",
       .summary = "Scan the patient's code at the clinician's desk: check in today's "
                  "appointment (or register a walk-in) and open its encounter (就诊)",
       .roles = api::kTerminals,
       .body = {{.name = "qr", .max_length = 4096, .description = "the CC1: text"},
                {.name = "walk_in",
                 .type = FieldType::kBoolean,
                 .required = false,
                 .description = "without an appointment today: book a place in the desk "
                                "clinician's session now, then check in"}},
       .success_status = 201,
       .handler = [&scene](Call& call) {
         const bool walk_in = call.body.value("walk_in", false);
         return Respond(scene.CheckIn(*call.principal, Text(call, "qr"), walk_in), 201,
                        EncounterJson);
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/medical/encounters/{encounter}/close",
       .name = "medical_close_encounter",
       .summary = "Close the encounter with its summary and any prescriptions (the desk that "
                  "opened it)",
       .roles = api::kTerminals,
       .body = {{.name = "summary", .max_length = 2000, .multiline = true},
                {.name = "prescriptions",
                 .type = FieldType::kObjectArray,
                 .required = false,
                 .max_items = 10,
                 .description = "each {items: [{drug, quantity, unit_price_fen}]}"},
                {.name = "valid_days",
                 .type = FieldType::kInteger,
                 .required = false,
                 .description = "1 (the day of issue, the default) to 3"}},
       .max_body_bytes = 64 * 1024,
       .handler = [&scene](Call& call) {
         std::vector<PrescriptionRequest> requests;
         if (call.body.contains("prescriptions")) {
           for (const json& in : call.body["prescriptions"]) {
             auto request = ParsePrescription(in);
             if (!request.ok()) return api::ErrorResponse(request.status());
             requests.push_back(std::move(*request));
           }
         }
         const std::int64_t valid_days =
             call.body.contains("valid_days") ? Integer(call, "valid_days") : 1;
         const int days = valid_days < 0 || valid_days > 1000 ? 0 : static_cast<int>(valid_days);
         const std::string encounter = Param(call, "encounter");
         return Respond(scene.CloseEncounter(*call.principal, encounter, Text(call, "summary"),
                                             requests, days),
                        200, [&encounter](const std::vector<Prescription>& made) {
                          json out = PrescriptionsJson(made);
                          out["encounter_id"] = encounter;
                          out["state"] = "closed";
                          return out;
                        });
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/medical/encounters",
                    .name = "medical_my_encounters",
                    .summary = "The session's citizen's visits, newest first",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CitizenEncounters(call.principal->citizen_id), 200,
                                     EncountersJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/medical/prescriptions",
                    .name = "medical_my_prescriptions",
                    .summary = "The session's citizen's prescriptions, newest first",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CitizenPrescriptions(call.principal->citizen_id), 200,
                                     PrescriptionsJson);
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/medical/dispensations",
       .name = "medical_dispense",
       .summary = "Scan the patient's code at the hospital's pharmacy and dispense a "
                  "prescription, once (取药)",
       .roles = api::kTerminals,
       .body = {{.name = "qr", .max_length = 4096, .description = "the CC1: text"},
                {.name = "prescription_id", .max_length = 64}},
       .success_status = 201,
       .handler = [&scene](Call& call) {
         return Respond(
             scene.Dispense(*call.principal, Text(call, "qr"), Text(call, "prescription_id")), 201,
             [](const Prescription& p) {
               return json{{"prescription", PrescriptionJson(p)},
                           {"queue_number", p.queue_number},
                           {"dispensed_at", FormatRfc3339(p.dispensed_at.value())}};
             });
       }});
}

// Health records: the patient's own, and another hospital's read under
// the patient's health-data consent during a visit there.
void AddRecordRoutes(MedicalScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/medical/records",
                    .name = "medical_my_records",
                    .summary = "The session's citizen's health records (visit summaries, lab "
                               "results) in full, newest first",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CitizenRecords(call.principal->citizen_id), 200,
                                     RecordsJson);
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/medical/encounters/{encounter}/records",
       .name = "medical_read_records",
       .summary = "The desk reads the patient's health records from every hospital, under the "
                  "patient's health-data consent to this hospital (signed release, audited)",
       .roles = api::kTerminals,
       .body = {{.name = "use_cause", .max_length = 256, .description = "申请事由"}},
       .handler = [&scene](Call& call) {
         return Respond(
             scene.ReadRecords(*call.principal, Param(call, "encounter"), Text(call, "use_cause")),
             200, ReleaseJson);
       }});
}

// A guardian's views and bookings for a dependant (a child, an elderly
// relative): each /v1/me/medical/… route again under
// /v1/me/dependants/{dependant}/medical/…, acting as the dependant once the
// guardian link is checked.
void AddDependantTwins(MedicalScene& scene, std::vector<RouteSpec>& routes) {
  constexpr std::string_view kOwn = "/v1/me/medical/";
  const std::size_t own_routes = routes.size();
  for (std::size_t i = 0; i < own_routes; ++i) {
    if (!routes[i].pattern.starts_with(kOwn)) continue;
    RouteSpec twin = routes[i];
    twin.pattern = "/v1/me/dependants/{dependant}/medical/" + twin.pattern.substr(kOwn.size());
    twin.name = "dependant_" + twin.name;
    twin.summary = "For a dependant: " + twin.summary;
    twin.handler = [&scene, own = routes[i].handler](Call& call) {
      auto dependant = scene.ActFor(call.principal->citizen_id, Param(call, "dependant"));
      if (!dependant.ok()) return api::ErrorResponse(dependant.status());
      platform::Principal acting = *call.principal;
      acting.citizen_id = *dependant;
      Call as_dependant{.request = call.request,
                        .principal = &acting,
                        .body = call.body,
                        .channel = call.channel};
      return own(as_dependant);
    };
    routes.push_back(std::move(twin));
  }
}

}  // namespace

std::vector<RouteSpec> MedicalScene::Routes() {
  std::vector<RouteSpec> routes;
  AddFacilityRoutes(*this, routes);
  AddRegistrationRoutes(*this, routes);
  AddVisitRoutes(*this, routes);
  AddRecordRoutes(*this, routes);
  AddFeeRoutes(*this, routes);
  AddDependantTwins(*this, routes);  // it copies every /v1/me/medical/ route above
  std::ranges::move(FhirRoutes(), std::back_inserter(routes));
  return routes;
}

Result<nlohmann::json> MedicalScene::ExportCitizen(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Appointment> appointments, CitizenAppointments(citizen_id));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Encounter> encounters, CitizenEncounters(citizen_id));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Prescription> prescriptions,
                            CitizenPrescriptions(citizen_id));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Notice> notices, CitizenNotices(citizen_id));
  CITYCODE_ASSIGN_OR_RETURN(Bill bill, CitizenBill(citizen_id));
  json out = AppointmentsJson(appointments);
  out["encounters"] = EncountersJson(encounters)["encounters"];
  out["prescriptions"] = PrescriptionsJson(prescriptions)["prescriptions"];
  out["notices"] = NoticesJson(notices)["notices"];
  out["postings"] = BillJson(bill)["postings"];
  return out;
}

}  // namespace citycode::medical
