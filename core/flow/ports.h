#pragma once
// What the flow needs from the world that only the flow uses, as narrow interfaces: the records
// it keeps and the limits that admit a request. (The queue its messages wait in, the sessions it
// issues and where its security events go are interfaces of outbox/, session/ and services/.)
// The wiring plugs in SQL and Redis; the flow's unit tests plug in memory.
//
// Every call reports failure as a value (sdk::Result), never by throwing: ErrorCode::not_found
// for a missing record, ErrorCode::unavailable for a store that is down.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "flow/flow_record.h"
#include "linkgate/sdk/result.h"
#include "linkgate/sdk/types.h"

namespace linkgate::flow {

/// The server-side record of each sign-in flow. Thread-safe.
class FlowRepository {
 public:
  virtual ~FlowRepository() = default;
  /// Stores @p flow and @p message in one transaction — a start is stored whole or not at all;
  /// with @p supersede, first ends the identifier's other pending flows that are still live
  /// (expiring after `flow.created_at`; an expired one is refused as expired already).
  virtual sdk::Result<void> create(const Flow& flow, bool supersede,
                                   const FlowMessage& message) = 0;
  /// What create_then() reports: what create() would have returned.
  using Created = std::function<void(sdk::Result<void>)>;
  /// create() without waiting for the commit, where the store can: @p done is called exactly
  /// once with create()'s result — by a store whose writes are committed together by a writer
  /// thread, on that thread once the commit is done (so @p done must be quick and must not
  /// throw); by any other, before this returns (the default: create()). The store shares
  /// @p flow and @p message instead of copying them (a start's are most of its allocations),
  /// and reads them only until it calls @p done: the caller may move from them then.
  virtual void create_then(std::shared_ptr<const Flow> flow, bool supersede,
                           std::shared_ptr<const FlowMessage> message, Created done) {
    done(create(*flow, supersede, *message));
  }
  /// The flow with @p id; not_found when there is none.
  virtual sdk::Result<Flow> get(const std::string& id) = 0;
  /// The flow whose short SMS link key hashes to @p mac; not_found when there is none.
  virtual sdk::Result<Flow> find_by_short_key(const std::string& mac) = 0;
  /// pending -> completed, only if still pending and unexpired — after @p first, which consumes
  /// what else a redeem uses up (the link), has succeeded: true for exactly one caller. Nothing
  /// is completed when @p first fails, and its failure is returned. A store that can also
  /// commits the writes @p first makes into its own database (a stateless link's replay entry,
  /// through a key store that shares it) in the completion's transaction: then the link is used
  /// up exactly when the flow completes, and false undoes both.
  virtual sdk::Result<bool> complete_after(const std::string& id, std::int64_t now,
                                           const std::function<sdk::Result<void>()>& first) = 0;
  /// What complete_after_then() reports: what complete_after() would have returned.
  using Completed = std::function<void(sdk::Result<bool>)>;
  /// complete_after() without waiting for the commit, where the store can: @p first runs
  /// before this returns, on the calling thread; @p done is called exactly once with
  /// complete_after()'s result — at once when @p first fails, else as create_then() calls its
  /// own (the default: complete_after()). @p flow is the flow as get() read it: a store may find
  /// its row faster through what it read (its row id), never trusting more than its id.
  virtual void complete_after_then(const Flow& flow, std::int64_t now,
                                   const std::function<sdk::Result<void>()>& first,
                                   Completed done) {
    done(complete_after(flow.id, now, first));
  }
  /// complete_after() with nothing to consume first (a code, or a test's setup).
  sdk::Result<bool> complete(const std::string& id, std::int64_t now) {
    return complete_after(id, now, [] { return sdk::success(); });
  }
  /// Takes one code attempt: true if the flow is pending, unexpired and under @p max_attempts.
  /// Counted before the code is compared, so parallel guesses cannot exceed the limit.
  virtual sdk::Result<bool> take_attempt(const std::string& id, int max_attempts,
                                         std::int64_t now) = 0;
  /// Marks a flow dead: its attempts are used up.
  virtual sdk::Result<void> kill(const std::string& id) = 0;
  /// Adds @p family to the user-agent families that opened @p flow's confirm page (@p flow as
  /// just read: its viewed_by is the list so far, so no second read): true when it is the
  /// flow's first view. not_found when the flow is no longer stored.
  virtual sdk::Result<bool> note_view(const Flow& flow, const std::string& family) = 0;
  /// Deletes up to @p max_flows flows that expired more than @p grace_seconds ago; what went.
  virtual sdk::Result<SweptFlows> sweep(std::int64_t now, std::int64_t grace_seconds,
                                        int max_flows) = 0;
};

/// A limit that refused a request, and when one more would fit.
struct Refusal {
  std::string reason;  // per_client | per_identifier | resend_cooldown | sms_budget
  std::int64_t retry_after_seconds = 1;
};

/// Which requests are admitted. Thread-safe.
class Admission {
 public:
  virtual ~Admission() = default;
  /// Counts a sign-in start by @p client for the keyed identifier hash @p identifier_key, whose
  /// message goes to an address of @p kind. A Refusal when a limit is reached; unavailable when
  /// the shared store is down.
  virtual sdk::Result<std::optional<Refusal>> admit_start(const std::string& client,
                                                          const std::string& identifier_key,
                                                          sdk::AddressKind kind) = 0;
  /// Counts a redeem (link or code) by @p client.
  virtual sdk::Result<std::optional<Refusal>> admit_redeem(const std::string& client) = 0;

  /// One code guess for the keyed identifier hash @p identifier_key, counted as wrong before it
  /// is compared (so parallel guesses cannot exceed the limit): a Refusal when the identifier
  /// has had security.rate_limits.wrong_codes wrong codes in the window; otherwise the ticket to
  /// give to code_was_right() if it was. Unavailable when the shared store is down.
  struct CodeGuess {
    std::optional<Refusal> refusal;
    std::string ticket;
  };
  virtual sdk::Result<CodeGuess> admit_code(const std::string& identifier_key) = 0;
  /// The guess admit_code() counted as @p ticket was right: it no longer counts as wrong.
  virtual void code_was_right(const std::string& identifier_key, const std::string& ticket) = 0;
};

}  // namespace linkgate::flow
