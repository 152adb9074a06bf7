// Who runs what: the feed's agencies an organisation runs, and the route a
// terminal serves when it is bound to one. A terminal's taps must be on its
// operator's routes (and on its own route, when bound), so a gate cannot put
// another operator's trips on a rider's bill, nor a validator of bus 1
// record rides on bus 2.
#ifndef CITYCODE_SCENES_TRANSIT_OPERATORS_H_
#define CITYCODE_SCENES_TRANSIT_OPERATORS_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "platform/platform.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"
#include "store/database.h"

namespace citycode::transit {

// What an operator runs, as its administrators see it.
struct OperatorSetup {
  std::vector<std::string> agency_ids;
  std::vector<std::pair<std::string, std::string>> terminal_routes;  // terminal id, route id
};

class Operators {
 public:
  // `db`, `platform` and `feed` must outlive it; the scene's migrations are
  // applied already.
  Operators(store::Database& db, platform::Platform& platform, const Feed& feed)
      : db_(db), platform_(platform), feed_(feed) {}

  // The organisation (a transit operator) runs the feed's `agency_id`.
  // not_found (unknown_agency) for an agency the feed lacks;
  // failed_precondition for an organisation that is no transit operator.
  Status AddAgency(std::string_view org_id, std::string_view agency_id);
  // The terminal (of `org_id`) serves only `route_id`, one of the
  // operator's routes; "" lets it serve all of them again. not_found for
  // another organisation's terminal; permission_denied
  // (route_of_another_operator) for a route the operator does not run.
  Status BindTerminal(std::string_view org_id, std::string_view terminal_id,
                      std::string_view route_id);
  Result<OperatorSetup> Get(std::string_view org_id);
  // The organisations that run the feed's `agency_id`, in id order.
  Result<std::vector<std::string>> RunnersOf(std::string_view agency_id);

  // Whether `terminal` may upload every one of `taps`: permission_denied
  // for a terminal of another scene, or with reason operator_not_bound (its organisation runs no
  // agency yet), route_of_another_operator or route_not_this_terminals, naming the first tap
  // refused. Nothing of the batch is stored then.
  Status CheckTaps(const platform::Principal& terminal, const std::vector<ScannedTap>& taps);

 private:
  Result<std::vector<std::string>> AgenciesOf(store::Transaction& tx, std::string_view org_id);

  store::Database& db_;
  platform::Platform& platform_;
  const Feed& feed_;
};

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_OPERATORS_H_
