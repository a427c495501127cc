#pragma once
// The magic-link flow as plain operations, apart from HTTP: start a sign-in, look at a link
// without consuming it, redeem a link or a code, ask a flow's status.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "flow/abuse_limits.h"
#include "flow/api_error.h"
#include "flow/flow_store.h"
#include "flow/message_templates.h"
#include "flow/redirect_policy.h"
#include "linkgate/sdk/host_services.h"
#include "linkgate/sdk/token_strategy.h"
#include "linkgate/sdk/user_store.h"
#include "outbox/delivery_routes.h"
#include "outbox/outbox_store.h"
#include "services/audit_log.h"
#include "services/log.h"
#include "services/metrics.h"
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

/// Everything the flow needs. References must outlive the service.
struct FlowDependencies {
  const config::Settings& settings;
  sdk::TokenStrategy& tokens;
  sdk::UserStore& users;
  FlowStore& flows;
  outbox::OutboxStore& outbox;
  const outbox::DeliveryRoutes& routes;
  const MessageTemplates& templates;
  const RedirectPolicy& redirects;
  session::SessionTokens& sessions;
  sdk::HostServices& services;
  services::Log& log;
  services::MetricsRegistry& metrics;
  AbuseLimits& limits;
  services::AuditLog& audit;
  std::string server_secret;              // keys the code and identifier hashes
  std::function<void()> outbox_enqueued;  // wakes the outbox worker
};

class MagicLinkService {
 public:
  explicit MagicLinkService(FlowDependencies deps);

  /// Steps 1–5: validates, finds the user, issues the link and code, stores the message in the
  /// outbox. The answer is the same whether or not the identifier is a user.
  Outcome<Started> start(const StartRequest& request);
  /// What the confirm page shows; consumes nothing.
  Outcome<Preview> preview(const std::string& token, const std::string& flow_cookie);
  /// Step 8: consumes the link token (once) and signs the user in.
  Outcome<SignedIn> redeem_link(const std::string& token, const std::string& flow_cookie,
                                const std::string& client);
  /// The code path: at most otp.max_attempts tries per flow, compared in constant time.
  Outcome<SignedIn> redeem_code(const std::string& flow_id, const std::string& code,
                                const std::string& client);
  FlowStatus status(const std::string& flow_id);

  /// The keyed hash of a short SMS link key, as stored (hex).
  [[nodiscard]] std::string short_key_mac(const std::string& key) const;
  /// True for the core's own short SMS links (`c.` and 22 characters).
  static bool is_short_link(const std::string& token);

  /// The keyed hash of a code, as stored (hex).
  [[nodiscard]] std::string code_mac(const std::string& flow_id, const std::string& code) const;

 private:
  Outcome<Started> start_admitted(const StartRequest& request, const sdk::Identifier& identifier,
                                  const services::AuditEvent& event);
  /// Limits a redeem from @p client, runs @p redeem, and audits the outcome.
  Outcome<SignedIn> redeem_admitted(
      const std::string& client, const std::string& flow_id, const char* success,
      const std::function<Outcome<SignedIn>(services::AuditEvent&)>& redeem);
  Outcome<SignedIn> redeem_link_admitted(const std::string& token, const std::string& flow_cookie,
                                         services::AuditEvent& event);
  Outcome<SignedIn> redeem_code_admitted(const std::string& flow_id, const std::string& code,
                                         services::AuditEvent& event);
  /// Runs a limit check: a 429 when refused, a 503 when the shared store is down.
  std::optional<ApiError> admit(const std::function<std::optional<Refusal>()>& check);
  /// Counts a rejected link or code under @p reason and keeps the reason on the error.
  ApiError rejected(const char* reason, ApiError error);
  template <class T>
  Outcome<T> audited(Outcome<T> outcome, services::AuditEvent event, const char* success);
  void audit(services::AuditEvent event);
  [[nodiscard]] std::string identifier_key(const sdk::Identifier& identifier) const;
  Outcome<SignedIn> finish(const Flow& flow);
  ApiError token_error(const sdk::Error& error, const char* stage);
  Outcome<Flow> live_flow(const std::string& flow_id);
  Outcome<Flow> flow_of_short_link(const std::string& token);
  void count(const char* name, const char* reason);

  FlowDependencies d_;
  std::atomic<unsigned> starts_since_sweep_{0};
};

}  // namespace linkgate::flow
