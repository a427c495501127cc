#include "outbox/outbox_worker.h"
#include "util/thread_name.h"

#include <Poco/Exception.h>

#include <algorithm>

#include "outbox/retry_policy.h"
#include "util/crypto.h"

namespace linkgate::outbox {
namespace {

const char* const kDeliveriesHelp = "Delivery attempts by channel and outcome";

std::int64_t steady_milliseconds() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double random_unit() {
  auto bytes = util::random_bytes(4);
  std::uint32_t n = 0;
  for (unsigned char c : bytes) n = (n << 8) | c;
  return n / 4294967296.0;
}

sdk::Result<void> guarded_send(sdk::DeliveryChannel& channel, const sdk::Message& message) {
  try {
    return channel.send(message);
  } catch (const std::exception& e) {
    return sdk::fail(sdk::ErrorCode::retryable, std::string("channel threw: ") + e.what());
  } catch (...) {
    return sdk::fail(sdk::ErrorCode::retryable, "channel threw a non-standard exception");
  }
}

// One result per message whatever the channel does: a throw or a miscount retries them all.
std::vector<sdk::Result<void>> guarded_send_batch(
    const DeliveryRoute& route, std::shared_ptr<const std::vector<sdk::Message>> messages) {
  const std::size_t count = messages->size();
  std::string error;
  try {
    auto results = route.send_shared_batch ? route.send_shared_batch(std::move(messages))
                                           : route.channel->send_batch(*messages);
    if (results.size() == count) return results;
    error = "channel answered a batch of " + std::to_string(count) + " with " +
            std::to_string(results.size()) + " results";
  } catch (const std::exception& e) {
    error = std::string("channel threw: ") + e.what();
  } catch (...) {
    error = "channel threw a non-standard exception";
  }
  return std::vector<sdk::Result<void>>(count, sdk::fail(sdk::ErrorCode::retryable, error));
}

std::size_t batch_limit_of(sdk::DeliveryChannel& channel) {
  try {
    return std::max<std::size_t>(1, channel.batch_limit());
  } catch (...) {
    return 1;
  }
}

// The body moves into the message sent (a claim holds up to 32 bodies per worker; one copy
// fewer is a third less memory in flight): what is left of @p m is what its outcome needs.
sdk::Message message_to_send(OutboxMessage& m) {
  return {m.id,
          m.kind,
          m.recipient,
          std::move(m.subject),
          std::move(m.text),
          std::move(m.html),
          std::move(m.link),
          std::move(m.code),
          m.locale,
          m.attempts};
}

}  // namespace

OutboxWorker::OutboxWorker(std::shared_ptr<OutboxStore> store, DeliveryRoutes routes,
                           WorkerSettings settings, host::Log& log, host::MetricsRegistry& metrics,
                           const sdk::Clock& clock)
    : store_(std::move(store)),
      routes_(std::move(routes)),
      settings_(settings),
      log_(log),
      metrics_(metrics),
      clock_(clock),
      delivered_stage_(metrics.counter("linkgate_signin_funnel_total", {{"stage", "delivered"}})) {
  for (const auto& route : routes_) {
    slots_.push_back(std::make_unique<std::counting_semaphore<>>(std::max(1, route.concurrency)));
    batch_limits_.push_back(batch_limit_of(*route.channel));
    sent_.push_back(metrics.counter("linkgate_deliveries_total",
                                    {{"channel", route.plugin}, {"outcome", "sent"}},
                                    kDeliveriesHelp));
  }
  const bool all_batch =
      !batch_limits_.empty() && std::all_of(batch_limits_.begin(), batch_limits_.end(),
                                            [](std::size_t limit) { return limit > 1; });
  claim_size_ = std::max(1, all_batch ? settings_.claim_batch_when_batched : settings_.claim_batch);
}

OutboxWorker::~OutboxWorker() {
  stop();
}

void OutboxWorker::start() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
  holding_ = true;
  for (int i = 0; i < settings_.threads; ++i)
    threads_.emplace_back([this, i] {
      util::name_this_thread("lg-outbox");
      run(i == 0);
    });
}

void OutboxWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  holding_ = false;
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  release_held();
}

std::int64_t OutboxWorker::hold(std::int64_t now_seconds) noexcept {
  if (!holding_.load()) return 0;
  // Behind (a slow channel): new messages wait in the store, in order, rather than in memory.
  const std::int64_t front = front_held_since_.load();
  if (front != 0 && now_seconds - front >= settings_.lease_seconds / 4) return 0;
  if (holds_.fetch_add(1) >= kMostHeld) {
    holds_.fetch_sub(1);
    return 0;
  }
  return now_seconds + settings_.lease_seconds;
}

void OutboxWorker::take_held(OutboxMessage message) noexcept {
  message.attempts = 1;  // as its row counts it (OutboxStore::insert)
  try {
    std::lock_guard lock(held_mutex_);
    if (holding_.load()) {
      handed_since_asked_.store(true, std::memory_order_relaxed);
      held_.push_back(std::move(message));
      if (held_.size() == 1) front_held_since_ = held_since(held_.front());
      return;
    }
  } catch (...) {
    // Out of memory: as after stop(), the row goes out once its hold has run out.
  }
  holds_.fetch_sub(1);
}

void OutboxWorker::release_hold() noexcept {
  holds_.fetch_sub(1);
}

std::int64_t OutboxWorker::held_since(const OutboxMessage& m) const {
  return m.held_until - settings_.lease_seconds;
}

bool OutboxWorker::may_hand_back(const OutboxMessage& m) const {
  // Well before its row comes due: no other sender can have taken it when this write lands.
  return clock_.now_seconds() < m.held_until - settings_.lease_seconds / 4;
}

std::vector<OutboxMessage> OutboxWorker::take_held_batch(std::int64_t& claimed_at,
                                                         std::vector<Outcome>& handed_back) {
  std::vector<OutboxMessage> batch;
  std::lock_guard lock(held_mutex_);
  while (!held_.empty() && static_cast<int>(batch.size()) < claim_size_) {
    OutboxMessage m = std::move(held_.front());
    held_.pop_front();
    holds_.fetch_sub(1);
    if (lease_half_gone(held_since(m))) {
      if (may_hand_back(m)) {
        handed_back.push_back({Outcome::Kind::released, m.id, "", clock_.now_seconds(), 0});
      }
      continue;
    }
    claimed_at = std::min(claimed_at, held_since(m));
    batch.push_back(std::move(m));
  }
  front_held_since_ = held_.empty() ? 0 : held_since(held_.front());
  return batch;
}

bool OutboxWorker::store_claim_due() {
  const std::int64_t now = steady_milliseconds();
  std::int64_t due = next_claim_.load();
  return now >= due &&
         next_claim_.compare_exchange_strong(due, now + settings_.poll_interval.count());
}

void OutboxWorker::release_held() {
  std::deque<OutboxMessage> left;
  {
    std::lock_guard lock(held_mutex_);
    left.swap(held_);
    front_held_since_ = 0;
  }
  holds_.fetch_sub(static_cast<int>(left.size()));
  std::vector<Outcome> outcomes;
  for (const auto& m : left) {
    if (may_hand_back(m)) {
      outcomes.push_back({Outcome::Kind::released, m.id, "", clock_.now_seconds(), 0});
    }
  }
  stored(store_->record(outcomes, clock_.now_seconds()), "handing back the held messages");
}

void OutboxWorker::notify() {
  store_told_ = true;
  wake_one();
}

void OutboxWorker::notify_held() {
  wake_one();
}

void OutboxWorker::wake_one() {
  {
    std::lock_guard lock(mutex_);
    ++pending_wakes_;
  }
  wake_.notify_one();
}

void OutboxWorker::run(bool polls) {
  // One worker looks for due messages (retries, leases run out) every poll_interval; the others
  // sleep until woken — by a new message, or by a worker that found work, so that they join in
  // while there is more. Dozens of idle workers polling would cost a claim each, every interval.
  const auto idle_wait = polls ? settings_.poll_interval : settings_.poll_interval * 20;
  while (!stopping()) {
    if (drain_once() > 0) {
      wake_one();
      continue;
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, idle_wait, [this] { return stopping_ || pending_wakes_ > 0; });
    // The drain about to start sees every message stored so far, so it answers all the wakes
    // counted until now: a burst of ten thousand starts is one more look, not ten thousand empty
    // claims after the queue is empty. Wakes that come during the drain are counted anew, and a
    // drain that finds work wakes another worker to join in.
    pending_wakes_ = 0;
  }
}

bool OutboxWorker::stopping() {
  // Read once per message sent: the mutex would be a turn on the lock that every start's
  // hand-over takes to wake a worker.
  return stopping_.load(std::memory_order_relaxed);
}

int OutboxWorker::drain_once() {
  int handled = 0;
  bool erased = false;
  bool held_any = false;
  for (bool more = true; more && !stopping();) {
    std::int64_t claimed_at = clock_.now_seconds();
    std::vector<Outcome> handed_back;
    std::vector<OutboxMessage> batch = take_held_batch(claimed_at, handed_back);
    more = static_cast<int>(batch.size()) == claim_size_;
    if (!handed_back.empty()) {
      stored(store_->record(handed_back, clock_.now_seconds()), "handing back held messages");
    }
    // While messages are handed over, a claim is a write that finds nothing most of the time:
    // each drain ending on an empty hold would cost the writer what the hand-over saves (on the
    // benchmark, one claim for every twenty starts). The store is then asked when told
    // (notify(): a message stored due at once), for a hand-back, while claims come back full,
    // and once per poll_interval for the rest (retries, lapsed leases, other processes').
    const bool nothing_to_send = batch.empty() && !held_any;
    const bool ask_store = !handed_back.empty() || store_told_.exchange(false) ||
                           store_backlog_.load() ||
                           (nothing_to_send && !handed_since_asked_.load()) || store_claim_due();
    held_any = held_any || !batch.empty();
    if (ask_store) {
      handed_since_asked_ = false;
      auto claimed =
          store_->claim_batch(clock_.now_seconds(), settings_.lease_seconds, claim_size_);
      if (stored(claimed, "claiming")) {
        const bool full = static_cast<int>(claimed->size()) == claim_size_;
        store_backlog_ = full;
        more = more || full;
        for (auto& m : claimed.value()) batch.push_back(std::move(m));
      }
    }
    if (batch.empty()) break;
    std::vector<Outcome> outcomes;
    outcomes.reserve(batch.size());
    std::vector<std::vector<OutboxMessage*>> for_batches(routes_.size());
    for (auto& message : batch) {
      // Past half its lease a batch stops: what is left goes back now, while no other sender
      // can have taken it, instead of being sent late by this one and early by another.
      if (stopping() || lease_half_gone(claimed_at)) {
        outcomes.push_back({Outcome::Kind::released, message.id, "", clock_.now_seconds(), 0});
        more = false;
        continue;
      }
      if (auto failed = render(message)) {
        outcomes.push_back(std::move(*failed));
        continue;
      }
      auto routed = route_of(message);
      if (const auto* done = std::get_if<Outcome>(&routed)) {
        outcomes.push_back(*done);
      } else if (const int route = std::get<int>(routed); batch_limits_[route] > 1) {
        for_batches[static_cast<std::size_t>(route)].push_back(&message);
      } else {
        outcomes.push_back(send_one(message, route));
      }
    }
    for (std::size_t route = 0; route < for_batches.size(); ++route) {
      if (for_batches[route].empty()) continue;
      send_batched(for_batches[route], static_cast<int>(route), claimed_at, outcomes);
    }
    bool moved = false;
    for (const auto& outcome : outcomes) {
      if (outcome.kind == Outcome::Kind::released) {
        more = false;
        continue;
      }
      ++handled;
      erased = erased || outcome.erases_body();
      moved = moved || outcome.kind == Outcome::Kind::moved;
    }
    // If this write fails the messages stay claimed: their lease runs out and they are sent
    // again (at least once).
    stored(store_->record(outcomes, clock_.now_seconds()), "recording the outcomes");
    if (moved) notify();
  }
  if (erased) erased_since_scrub_ = true;
  purge_once();
  scrub_once();
  measure_backlog_once();
  return handled;
}

void OutboxWorker::measure_backlog_once() {
  // Counting the backlog reads every waiting row; under load the workers drain a hundred times a
  // second, and counting after each drain was nearly 8 % of a start profile's samples.
  const std::int64_t now = clock_.now_seconds();
  std::int64_t due = next_backlog_.load();
  if (now < due || !next_backlog_.compare_exchange_strong(due, now + 1)) return;
  if (auto backlog = store_->backlog(); backlog.ok()) {
    metrics_.set("linkgate_outbox_depth", {}, static_cast<double>(backlog->depth),
                 "Messages waiting to be delivered");
    const std::int64_t age =
        backlog->depth == 0 ? 0 : std::max<std::int64_t>(0, now - backlog->oldest);
    metrics_.set("linkgate_outbox_oldest_age_seconds", {}, static_cast<double>(age),
                 "How long the oldest undelivered message has waited (0: none waits)");
  }
}

void OutboxWorker::purge_once() {
  const std::int64_t now = clock_.now_seconds();
  std::int64_t due = next_purge_.load();
  if (now < due || !next_purge_.compare_exchange_strong(due, now + settings_.purge_every.count())) {
    return;  // not yet, or another worker is on it
  }
  if (settings_.housekeeping) settings_.housekeeping(now);
  constexpr int kRowsPerStatement = 5000;  // short transactions: claims go on meanwhile
  for (bool more = true; more;) {
    auto purged = store_->purge(now - settings_.retention_seconds, kRowsPerStatement);
    if (!stored(purged, "purging")) return;
    more = false;
    for (const auto& [state, count] : purged.value()) {
      if (count == 0) continue;
      metrics_.add("linkgate_outbox_purged_total", {{"state", state}}, static_cast<double>(count),
                   "Finished outbox messages deleted after outbox.retention");
      more = more || count == kRowsPerStatement;
      erased_since_scrub_ = true;
    }
    if (stopping()) return;
  }
}

void OutboxWorker::scrub_once() {
  if (!erased_since_scrub_.load() && !scrub_pending_.load()) return;
  const std::int64_t now = steady_milliseconds();
  std::int64_t due = next_scrub_.load();
  if (now < due || !next_scrub_.compare_exchange_strong(due, now + settings_.scrub_every.count())) {
    return;
  }
  const bool more_erased = erased_since_scrub_.exchange(false);
  // Under load the log starts over about once a second and a pass zeroes the stale frames;
  // when none comes in two intervals (an idle log), the store cuts the log instead.
  auto done = store_->scrub(more_erased, 2 * settings_.scrub_every);
  if (!stored(done, "scrubbing erased messages")) {
    if (more_erased) erased_since_scrub_ = true;
    return;
  }
  using By = sql::GroupCommit::Scrub::By;
  scrub_pending_ = done->pending;
  if (done->finished != By::nothing) {
    metrics_.add("linkgate_outbox_scrubs_total",
                 {{"by", done->finished == By::zeroing ? "zeroing" : "truncation"}}, 1,
                 "Erased message bodies taken off the SQLite log's file: by zeroing its stale "
                 "frames after a restart, or by cutting it when none came");
  }
}

template <class R>
bool OutboxWorker::stored(const R& result, const char* doing) {
  if (result.ok()) return true;
  // The message stays claimed: its lease runs out and it is delivered again (at least once).
  log_.write(sdk::LogLevel::error, "outbox",
             std::string("outbox store failed ") + doing + ": " + result.error().message);
  return false;
}

bool OutboxWorker::lease_half_gone(std::int64_t claimed_at) const {
  return clock_.now_seconds() - claimed_at >= (settings_.lease_seconds + 1) / 2;
}

std::optional<Outcome> OutboxWorker::render(OutboxMessage& m) {
  if (!settings_.render) return std::nullopt;
  try {
    settings_.render(m, clock_.now_seconds());
    return std::nullopt;
  } catch (const std::exception& e) {
    return dead_unsent(m, std::string("its templates failed: ") + e.what());
  }
}

Outcome OutboxWorker::dead_unsent(const OutboxMessage& m, const std::string& why) {
  metrics_.add("linkgate_deliveries_total", {{"channel", "none"}, {"outcome", "failed"}}, 1,
               kDeliveriesHelp);
  // Log lines name the message and its flow, never the address: the audit log ties a flow to
  // the identifier's keyed hash.
  log_.write(sdk::LogLevel::error, "outbox",
             "message " + m.id + " for flow " + m.flow_id + " is dead: " + why);
  return Outcome{Outcome::Kind::dead, m.id, why, 0, 0};
}

std::variant<Outcome, int> OutboxWorker::route_of(const OutboxMessage& m) {
  const std::int64_t now = clock_.now_seconds();
  if (m.channel_index == kDiscard) {
    metrics_.add("linkgate_messages_suppressed_total", {}, 1,
                 "Sign-in messages for unknown identifiers, stored like any and never sent");
    return Outcome{Outcome::Kind::suppressed, m.id, "", 0, 0};
  }
  const std::string who = "flow " + m.flow_id;
  auto route = route_for(routes_, m.kind, m.channel_index);
  if (!route)
    return dead_unsent(m, std::string("no delivery channel for ") + sdk::to_string(m.kind));
  if (now >= m.expires_at) {
    log_.write(sdk::LogLevel::warning, "outbox",
               "message " + m.id + " for " + who + " expired before delivery");
    return Outcome{Outcome::Kind::dead, m.id, "the link expired before it could be delivered", 0,
                   0};
  }
  return *route;
}

Outcome OutboxWorker::send_one(OutboxMessage& m, int route) {
  auto& slots = *slots_[static_cast<std::size_t>(route)];
  while (!slots.try_acquire_for(std::chrono::milliseconds(100))) {
    if (stopping()) return {Outcome::Kind::released, m.id, "", clock_.now_seconds(), 0};
  }
  auto result = guarded_send(*routes_[static_cast<std::size_t>(route)].channel, message_to_send(m));
  slots.release();
  return outcome_of(m, route, result);
}

void OutboxWorker::send_batched(const std::vector<OutboxMessage*>& messages, int route,
                                std::int64_t claimed_at, std::vector<Outcome>& outcomes) {
  const auto& r = routes_[static_cast<std::size_t>(route)];
  auto& slots = *slots_[static_cast<std::size_t>(route)];
  const std::size_t limit = batch_limits_[static_cast<std::size_t>(route)];
  for (std::size_t first = 0; first < messages.size(); first += limit) {
    const std::size_t end = std::min(messages.size(), first + limit);
    bool go = !stopping() && !lease_half_gone(claimed_at);
    while (go && !slots.try_acquire_for(std::chrono::milliseconds(100))) go = !stopping();
    if (!go) {
      for (std::size_t i = first; i < messages.size(); ++i) {
        outcomes.push_back({Outcome::Kind::released, messages[i]->id, "", clock_.now_seconds(), 0});
      }
      return;
    }
    auto batch = std::make_shared<std::vector<sdk::Message>>();
    batch->reserve(end - first);
    for (std::size_t i = first; i < end; ++i) batch->push_back(message_to_send(*messages[i]));
    auto results = guarded_send_batch(r, std::move(batch));
    slots.release();
    for (std::size_t i = first; i < end; ++i) {
      outcomes.push_back(outcome_of(*messages[i], route, results[i - first]));
    }
  }
}

Outcome OutboxWorker::outcome_of(const OutboxMessage& m, int route,
                                 const sdk::Result<void>& result) {
  const std::string who = "flow " + m.flow_id;
  const auto& r = routes_[static_cast<std::size_t>(route)];
  if (result.ok()) {
    sent_[static_cast<std::size_t>(route)].add();
    delivered_stage_.add();
    log_.write(sdk::LogLevel::info, "outbox",
               "message " + m.id + " for " + who + " delivered by " + r.plugin + " (attempt " +
                   std::to_string(m.attempts) + ")");
    return {Outcome::Kind::sent, m.id, "", 0, 0};
  }
  const std::string error = result.error().message;
  const bool permanent =
      result.code() == sdk::ErrorCode::permanent || result.code() == sdk::ErrorCode::invalid;
  if (permanent) {
    metrics_.add("linkgate_deliveries_total", {{"channel", r.plugin}, {"outcome", "failed"}}, 1);
    if (auto next = route_for(routes_, m.kind, route + 1)) {
      log_.write(sdk::LogLevel::warning, "outbox",
                 "message " + m.id + " for " + who + ": " + r.plugin + " failed permanently (" +
                     error + "); trying " + routes_[static_cast<std::size_t>(*next)].plugin);
      return {Outcome::Kind::moved, m.id, "", clock_.now_seconds(), *next};
    }
    log_.write(sdk::LogLevel::error, "outbox",
               "message " + m.id + " for " + who + " is dead: " + r.plugin +
                   " failed permanently: " + error);
    return {Outcome::Kind::dead, m.id, r.plugin + ": " + error, 0, 0};
  }
  if (m.attempts >= settings_.max_attempts) {
    metrics_.add("linkgate_deliveries_total", {{"channel", r.plugin}, {"outcome", "failed"}}, 1);
    log_.write(sdk::LogLevel::error, "outbox",
               "message " + m.id + " for " + who + " is dead after " + std::to_string(m.attempts) +
                   " attempts: " + error);
    return {Outcome::Kind::dead, m.id, r.plugin + ": " + error, 0, 0};
  }
  auto delay =
      backoff_delay(m.attempts, settings_.backoff.first, settings_.backoff.max, random_unit());
  // Due times are whole seconds: round up, so the wait is never shorter than the backoff.
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
          .count();
  const std::int64_t next = (now_ms + std::max<std::int64_t>(delay.count(), 1000) + 999) / 1000;
  metrics_.add("linkgate_deliveries_total", {{"channel", r.plugin}, {"outcome", "retried"}}, 1);
  log_.write(sdk::LogLevel::warning, "outbox",
             "message " + m.id + " for " + who + ": " + r.plugin + " failed (" + error +
                 "); retry " + std::to_string(m.attempts + 1) + " in " +
                 std::to_string(next * 1000 - now_ms) + "ms");
  return {Outcome::Kind::retry, m.id, r.plugin + ": " + error, next, 0};
}

}  // namespace linkgate::outbox
