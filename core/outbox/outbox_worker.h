#pragma once
// Worker threads that drain the outbox through the delivery channels.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <thread>
#include <variant>
#include <vector>

#include "config/duration.h"
#include "host/log.h"
#include "host/metrics.h"
#include "linkgate/sdk/host_services.h"
#include "outbox/delivery_routes.h"
#include "outbox/outbox_store.h"

namespace linkgate::outbox {

struct WorkerSettings {
  int threads = 2;  // each claims a batch and sends it
  int max_attempts = 8;
  config::BackoffRange backoff{std::chrono::seconds(2), std::chrono::minutes(10)};
  std::chrono::milliseconds poll_interval{500};
  std::int64_t lease_seconds = 60;          // longer than any channel's timeout
  std::int64_t retention_seconds = 86'400;  // finished rows older than this are purged
  int claim_batch = 8;                      // messages claimed by one statement
  // When every route takes batches (DeliveryChannel::batch_limit() above 1): a claim is one
  // send_batch() per route, so a larger claim is fewer claims, sends and syncs per message.
  // Otherwise claim_batch: one worker sends its claim one message after another. 32 keeps
  // delivery up with starts at their full rate; 64 did too, holding more in flight (RSS).
  int claim_batch_when_batched = 32;
  std::chrono::seconds purge_every{60};
  std::chrono::milliseconds scrub_every{1000};  // at most this often after bodies were erased
  // Run with each purge (once per purge_every across the workers): other stores' sweeps.
  std::function<void(std::int64_t now_seconds)> housekeeping;
  // Renders the subject, text and HTML of a message stored without them, from its link, code and
  // locale, just before it is routed — to be sent or discarded alike, so that a stranger's
  // message costs the worker what a user's does. Set by the wiring to the flow's templates
  // (flow::render_stored_message); a message whose rendering throws is dead. Unset: messages are
  // sent as stored.
  std::function<void(OutboxMessage& message, std::int64_t now_seconds)> render;
};

class OutboxWorker {
 public:
  OutboxWorker(std::shared_ptr<OutboxStore> store, DeliveryRoutes routes, WorkerSettings settings,
               host::Log& log, host::MetricsRegistry& metrics, const sdk::Clock& clock);
  ~OutboxWorker();

  void start();
  /// Stops the threads after their current send; the rest of their batches is handed back
  /// (pending, due now) for the next start or another instance.
  void stop();
  /// Wakes a worker now: a message was just stored due at once, so the next drain asks the store.
  /// Thread-safe.
  void notify();
  /// Wakes a worker for a message given to take_held(): the next drain sends it from memory and
  /// asks the store only when it would anyway (see drain_once()). Thread-safe.
  void notify_held();
  /// Room for one more message sent from memory (MessageQueue::reserve): the time until which
  /// its row is to be left to this worker (now + the lease), or 0 when kMostHeld are reserved
  /// or waiting already, when the oldest waiting has waited a quarter of the lease (the channels
  /// are behind: new messages wait in the store, in order), or the worker was stopped.
  /// Thread-safe.
  std::int64_t hold(std::int64_t now_seconds) noexcept;
  /// The stored message a hold() was for: the next drain sends it without claiming it. Given
  /// after stop(), it is left to its row, which any worker claims once the hold has run out.
  /// Thread-safe.
  void take_held(OutboxMessage message) noexcept;
  /// A hold() whose message was not stored. Thread-safe.
  void release_hold() noexcept;
  /// How many messages the workers hold in memory at most, reserved or waiting to be sent.
  static constexpr int kMostHeld = 1024;
  /// Delivers what is due, on the calling thread, a claimed batch at a time, each batch's
  /// outcomes written in one transaction; returns how many messages were handled. Messages held
  /// in memory (take_held()) go first, without a claim. While messages are being handed over
  /// (one came since the store was last asked), the store is asked for what else is due
  /// (retries, lapsed leases, other processes' messages) once per poll_interval, and besides
  /// only after notify(), a hand-back, or a claim that came back full; otherwise whenever
  /// nothing is held. A batch whose lease is half gone (slow sends) hands its unsent rest back
  /// rather than risk a second sender taking them over mid-send. Sends on one channel wait while
  /// `concurrency` of them are in flight. A channel that takes batches
  /// (DeliveryChannel::batch_limit() above 1) gets the batch's messages for it in send_batch()
  /// calls, each holding one of those places.
  int drain_once();
  /// Deletes finished messages older than the retention, in bounded batches, and counts them.
  void purge_once();
  /// When bodies were erased since the last time, or an earlier scrub is not done, and
  /// scrub_every has passed: has the store take them off the disk's files (OutboxStore::scrub).
  void scrub_once();
  /// Sets the depth and oldest-age gauges from the store, at most once per clock second across
  /// the workers; the polling worker drains every poll_interval, so with the default they are
  /// never more than about a second and a half old.
  void measure_backlog_once();
  /// True when @p result succeeded; otherwise logs what the store failed at.
  template <class R>
  bool stored(const R& result, const char* doing);

 private:
  void run(bool polls);
  // The message's route, or its outcome when it is not to be sent (discarded, no channel,
  // expired).
  std::variant<Outcome, int> route_of(const OutboxMessage& message);
  // Renders @p message (WorkerSettings::render); its outcome when that fails.
  std::optional<Outcome> render(OutboxMessage& message);
  // Gives @p message up before any channel had it (no route, no rendering), saying @p why:
  // counted, logged by message and flow, never by address.
  Outcome dead_unsent(const OutboxMessage& message, const std::string& why);
  // send_one and send_batched move each message's body into what they send.
  Outcome send_one(OutboxMessage& message, int route);
  // Sends @p messages on @p route in send_batch() calls; one outcome each into @p outcomes.
  void send_batched(const std::vector<OutboxMessage*>& messages, int route, std::int64_t claimed_at,
                    std::vector<Outcome>& outcomes);
  Outcome outcome_of(const OutboxMessage& message, int route, const sdk::Result<void>& result);
  [[nodiscard]] bool lease_half_gone(std::int64_t claimed_at) const;
  // Up to claim_size_ held messages, oldest first, with @p claimed_at moved back to when the
  // oldest's hold began. One whose hold is half gone is not sent from memory: handed back to the
  // store (a released outcome into @p handed_back) while may_hand_back(), otherwise left to its
  // row, which is claimed once the hold has run out.
  std::vector<OutboxMessage> take_held_batch(std::int64_t& claimed_at,
                                             std::vector<Outcome>& handed_back);
  [[nodiscard]] std::int64_t held_since(const OutboxMessage& message) const;
  // Whether a write making @p message due now lands well before its row comes due by itself.
  [[nodiscard]] bool may_hand_back(const OutboxMessage& message) const;
  // While held messages are being sent: whether poll_interval has passed since the store was
  // last asked.
  bool store_claim_due();
  // Wakes a worker without telling it to ask the store.
  void wake_one();
  // At stop(): the held messages not yet sent are handed back (pending, due now).
  void release_held();
  [[nodiscard]] bool stopping();

  std::shared_ptr<OutboxStore> store_;
  DeliveryRoutes routes_;
  WorkerSettings settings_;
  host::Log& log_;
  host::MetricsRegistry& metrics_;
  const sdk::Clock& clock_;
  // One counter per route: sends in flight on it at most `concurrency`.
  std::vector<std::unique_ptr<std::counting_semaphore<>>> slots_;
  std::vector<std::size_t> batch_limits_;  // per route, asked once: 1 sends one at a time
  std::vector<host::MetricsRegistry::Counter> sent_;  // per route, found once
  host::MetricsRegistry::Counter delivered_stage_;    // linkgate_signin_funnel_total
  int claim_size_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Written under mutex_ (the wake-up's predicate reads it there); read without it per message.
  std::atomic<bool> stopping_{false};
  std::uint64_t pending_wakes_ = 0;
  std::atomic<std::int64_t> next_purge_{0};  // seconds; one worker purges at a time
  std::atomic<bool> erased_since_scrub_{false};
  std::atomic<bool> scrub_pending_{false};
  std::atomic<std::int64_t> next_scrub_{0};    // steady milliseconds; one worker scrubs at a time
  std::atomic<std::int64_t> next_backlog_{0};  // seconds; one worker counts the backlog at a time
  std::mutex held_mutex_;
  std::deque<OutboxMessage> held_;   // stored, to be sent without a claim
  std::atomic<int> holds_{0};        // reserved by hold() and not yet taken or released
  std::atomic<bool> holding_{true};  // false from stop() until start()
  std::atomic<std::int64_t> front_held_since_{0};  // held_since() of held_'s first; 0: none
  std::atomic<std::int64_t> next_claim_{0};        // steady milliseconds; see store_claim_due()
  std::atomic<bool> handed_since_asked_{false};    // take_held() since the store was last asked
  std::atomic<bool> store_told_{false};            // notify() since the store was last asked
  std::atomic<bool> store_backlog_{false};         // the last claim came back full
};

}  // namespace linkgate::outbox
