#pragma once
// The magic-link flow as a domain service: start a sign-in, look at a link without consuming it,
// redeem a link or a code, ask a flow's status. It speaks in domain outcomes (flow/outcome.h),
// never in HTTP; it reaches the world only through the narrow interfaces it is given.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "config/settings.h"
#include "flow/keyed_hashes.h"
#include "flow/message_templates.h"
#include "flow/outcome.h"
#include "flow/ports.h"
#include "flow/redirect_policy.h"
#include "host/metrics.h"
#include "linkgate/sdk/host_services.h"
#include "linkgate/sdk/token_strategy.h"
#include "linkgate/sdk/user_store.h"
#include "outbox/delivery_routes.h"
#include "outbox/message_queue.h"
#include "session/session_tokens.h"

namespace linkgate::flow {

struct StartRequest {
  std::string identifier;
  std::string redirect_uri;
  std::string channel;  // "", "email" or "sms"
  std::string locale;   // explicit choice, may be empty
  std::vector<std::string> accept_languages;
  std::string user_agent;
  std::string client;  // the client's address, for limits and the audit log
};

struct Started {
  std::string flow_id;
  std::int64_t expires_in = 0;
  std::string masked_identifier;  // for the check-your-inbox page
};

struct Preview {
  sdk::LinkGrant grant;
  std::string device;
  std::int64_t requested_at = 0;
  bool same_browser = false;
};

struct SignedIn {
  sdk::User user;
  session::IssuedSession session;
  std::string redirect_uri;
  std::string flow_id;
};

enum class FlowStatus { pending, completed, expired };
const char* to_string(FlowStatus status);

/// The plugins the flow calls.
struct FlowPlugins {
  sdk::TokenStrategy& tokens;
  sdk::UserStore& users;
};

/// What the flow keeps: its records, and the queue its messages wait in.
struct FlowRecords {
  FlowRepository& flows;
  outbox::MessageQueue& outbox;
};

/// How a message is written and which channel carries it.
struct Messaging {
  const outbox::DeliveryRoutes& routes;
  const MessageTemplates& templates;
};

/// What is checked before any work: where a redirect may go, and the rate limits.
struct Guards {
  const RedirectPolicy& redirects;
  Admission& admission;
};

/// Where the flow reports: the operator's log, the metrics and the audit log.
struct Reporting {
  sdk::Logger& log;
  host::MetricsRegistry& metrics;
  audit::AuditSink& audit;
};

/// Everything the flow needs. References must outlive the service.
struct FlowDependencies {
  const config::Settings& settings;
  FlowPlugins plugins;
  FlowRecords records;
  Messaging messaging;
  Guards guards;
  session::SessionIssuer& sessions;
  sdk::HostServices& host;  // the clock and the random source
  Reporting reporting;
  KeyedHashes hashes;
};

/// Thread-safe: every operation may run on any number of threads at once.
class MagicLinkService {
 public:
  explicit MagicLinkService(FlowDependencies deps);

  /// Validates, finds the user, issues the link and code, stores the message in the outbox. The
  /// outcome is the same whether or not the identifier is a user.
  Outcome<Started> start(const StartRequest& request);
  /// Finishes a start whose rows are committed (or failed to be): counts it, has the audit log
  /// note it, wakes delivery, and gives its outcome. Run exactly once.
  using FinishStart = std::function<Outcome<Started>()>;
  /// Takes a start's finish once its commit is settled. Must be quick and must not throw.
  using ResumeStart = std::function<void(FinishStart)>;
  /// start() without waiting for the commit that holds the start's rows. Returns the outcome
  /// when it is known before anything is stored (a malformed request, a limit, a plugin's
  /// failure); otherwise returns nothing, and @p resume is called exactly once with the start's
  /// finish — on the flow store's writer thread once the commit is done, or before this returns
  /// for a store that commits on the calling thread. Whoever gets the finish runs it, on a
  /// thread of its choosing; the answer the finish gives is start()'s.
  std::optional<Outcome<Started>> start_then(const StartRequest& request, ResumeStart resume);
  /// What the confirm page shows; consumes nothing.
  /// With @p viewer (a user-agent family, see http/user_agent_family), the view is noted on
  /// the flow and counted: linkgate_confirm_page_views_total{ua_family}, and a flow's first view
  /// as the funnel's confirm_viewed stage. A failure to note it is logged, never the page's.
  Outcome<Preview> preview(const std::string& token, const std::string& flow_cookie,
                           const std::string& viewer = "");
  /// Consumes the link (once) and signs the user in. A failure of a dependency leaves the link
  /// redeemable.
  Outcome<SignedIn> redeem_link(const std::string& token, const std::string& flow_cookie,
                                const std::string& client);
  /// Finishes a redeem whose flow's completion is committed (or failed to be): counts it, has
  /// the audit log note it, and gives its outcome. Run exactly once.
  using FinishSignIn = std::function<Outcome<SignedIn>()>;
  /// Takes a redeem's finish once its commit is settled. Must be quick and must not throw.
  using ResumeSignIn = std::function<void(FinishSignIn)>;
  /// redeem_link() without waiting for the commit that completes the flow (and uses up the
  /// link), as start_then() is start(): the outcome now when it is known before anything is
  /// written, otherwise nothing now and @p resume called exactly once with the redeem's finish.
  std::optional<Outcome<SignedIn>> redeem_link_then(const std::string& token,
                                                    const std::string& flow_cookie,
                                                    const std::string& client, ResumeSignIn resume);
  /// The code path: at most otp.max_attempts tries per flow, compared in constant time.
  Outcome<SignedIn> redeem_code(const std::string& flow_id, const std::string& code,
                                const std::string& client);
  /// A flow's state as the waiting page sees it; unavailable when the flow store is down.
  Outcome<FlowStatus> status(const std::string& flow_id);

 private:
  void note_view(const Flow& flow, const std::string& viewer);
  /// A start made and checked, its rows not yet stored.
  struct PendingStart {
    Flow flow;
    FlowMessage outgoing;
    Started started;
  };
  /// Everything before a start's commit; the outcome is the refusal when there is one (noted
  /// in @p event's audit fields as they are known).
  Outcome<PendingStart> prepare_start(const StartRequest& request, audit::AuditEvent& event);
  Outcome<PendingStart> start_admitted(const StartRequest& request,
                                       const sdk::Identifier& identifier,
                                       const std::string& identifier_key);
  /// Everything after a start's commit (@p created: what storing its rows gave).
  /// The message it reserved room for is handed to the queue (moved out of @p pending).
  Outcome<Started> finish_start(PendingStart& pending, const sdk::Result<void>& created,
                                audit::AuditEvent event);
  Outcome<SignedIn> redeem_link_admitted(const std::string& token, const std::string& flow_cookie,
                                         audit::AuditEvent& event);
  /// The live flow @p token redeems, checked against the browser's @p flow_cookie.
  Outcome<Flow> flow_to_redeem(const std::string& token, const std::string& flow_cookie,
                               audit::AuditEvent& event);
  Outcome<SignedIn> redeem_code_admitted(const std::string& flow_id, const std::string& code,
                                         audit::AuditEvent& event);
  /// A limit's decision as an outcome: rate_limited, or unavailable when its store is down.
  std::optional<Problem> admitted(const sdk::Result<std::optional<Refusal>>& decision);
  Outcome<Flow> live_flow(const std::string& flow_id);
  Outcome<Flow> flow_of_short_link(const std::string& token);
  /// The user a completed flow signs in: its subject, or (sign-up) one made for its identifier.
  Outcome<sdk::User> user_of(const Flow& flow);
  /// Resolves the user and the session first, then consumes: a dependency that fails leaves
  /// the flow (and the link) as they were.
  Outcome<SignedIn> finish(const Flow& flow, const std::string* link_token);
  /// What finish() resolves before the commit that completes the flow, and what using up the
  /// link said.
  struct PendingSignIn {
    sdk::User user;
    session::IssuedSession session;
    std::string redirect_uri;
    std::string flow_id;
    std::optional<sdk::Error> link_refused;
  };
  Outcome<PendingSignIn> before_completion(const Flow& flow);
  /// The completion's first step: uses up @p link_token (none for a short link or a code),
  /// noting a refusal in @p pending.
  std::function<sdk::Result<void>()> consume_link(const std::string* link_token,
                                                  PendingSignIn& pending);
  Outcome<SignedIn> after_completion(const PendingSignIn& pending,
                                     const sdk::Result<bool>& completed);
  /// A store's failure as an outcome (not_found -> @p missing).
  Problem store_problem(const sdk::Error& error, const char* store, Failure missing);
  template <class T>
  Outcome<T> reported(Outcome<T> outcome, audit::AuditEvent event, const char* success);
  std::string new_id(std::size_t bytes);
  // For the flow's and its message's row keys (util::time_ordered_id).
  std::string new_ordered_id(std::size_t bytes);
  std::string new_code();

  FlowDependencies d_;
  /// The counters every start and redeem adds to, found once (and so rendered at 0 from the
  /// start: a rate() sees the first sign-in).
  struct Counts {
    host::MetricsRegistry::Counter issued;
    host::MetricsRegistry::Counter issued_stage;  // linkgate_signin_funnel_total{stage="issued"}
    host::MetricsRegistry::Counter confirm_viewed_stage;
    host::MetricsRegistry::Counter redeemed;
    host::MetricsRegistry::Counter redeemed_stage;
  };
  static Counts counts_in(host::MetricsRegistry& metrics);
  Counts counts_;
};

}  // namespace linkgate::flow
