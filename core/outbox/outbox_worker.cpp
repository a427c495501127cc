#include "outbox/outbox_worker.h"

#include <Poco/Exception.h>

#include "outbox/retry_policy.h"
#include "util/crypto.h"

namespace linkgate::outbox {
namespace {

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

}  // namespace

OutboxWorker::OutboxWorker(std::shared_ptr<OutboxStore> store, DeliveryRoutes routes,
                           WorkerSettings settings, host::Log& log, host::MetricsRegistry& metrics,
                           const sdk::Clock& clock)
    : store_(std::move(store)),
      routes_(std::move(routes)),
      settings_(settings),
      log_(log),
      metrics_(metrics),
      clock_(clock) {}

OutboxWorker::~OutboxWorker() {
  stop();
}

void OutboxWorker::start() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
  for (int i = 0; i < settings_.threads; ++i) threads_.emplace_back([this] { run(); });
}

void OutboxWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void OutboxWorker::notify() {
  {
    std::lock_guard lock(mutex_);
    ++pending_wakes_;
  }
  wake_.notify_one();
}

void OutboxWorker::run() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    const int handled = drain_once();
    if (handled == 0) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, settings_.poll_interval,
                     [this] { return stopping_ || pending_wakes_ > 0; });
      if (pending_wakes_ > 0) --pending_wakes_;
    }
  }
}

int OutboxWorker::drain_once() {
  int handled = 0;
  bool erased = false;
  bool more = true;
  while (more) {
    auto batch =
        store_->claim_batch(clock_.now_seconds(), settings_.lease_seconds, settings_.claim_batch);
    if (!stored(batch, "claiming") || batch->empty()) break;
    more = static_cast<int>(batch->size()) == settings_.claim_batch;
    for (auto& message : batch.value()) {
      // Once stopping, what is left of the batch stays claimed and is sent again when its lease
      // runs out (by this server after a restart, or by another).
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return handled;
      }
      erased = deliver(std::move(message)) || erased;
      ++handled;
    }
  }
  if (erased) erased_since_scrub_ = true;
  purge_once();
  scrub_once();
  if (auto depth = store_->depth(); depth.ok()) {
    metrics_.set("linkgate_outbox_depth", {}, static_cast<double>(depth.value()),
                 "Messages waiting to be delivered");
  }
  return handled;
}

void OutboxWorker::purge_once() {
  const std::int64_t now = clock_.now_seconds();
  std::int64_t due = next_purge_.load();
  if (now < due || !next_purge_.compare_exchange_strong(due, now + settings_.purge_every.count())) {
    return;  // not yet, or another worker is on it
  }
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
    std::lock_guard lock(mutex_);
    if (stopping_) return;
  }
}

void OutboxWorker::scrub_once() {
  if (!erased_since_scrub_.load()) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t due = next_scrub_.load();
  if (now < due || !next_scrub_.compare_exchange_strong(due, now + settings_.scrub_every.count())) {
    return;
  }
  erased_since_scrub_ = false;
  auto done = store_->scrub();
  if (!stored(done, "scrubbing erased messages") || !done.value()) erased_since_scrub_ = true;
}

template <class R>
bool OutboxWorker::stored(const R& result, const char* doing) {
  if (result.ok()) return true;
  // The message stays claimed: its lease runs out and it is delivered again (at least once).
  log_.write(sdk::LogLevel::error, "outbox",
             std::string("outbox store failed ") + doing + ": " + result.error().message);
  return false;
}

bool OutboxWorker::deliver(OutboxMessage m) {
  const std::int64_t now = clock_.now_seconds();
  // Log lines name the message and its flow, never the address: the audit log ties a flow to
  // the identifier's keyed hash.
  const std::string who = "flow " + m.flow_id;
  if (m.channel_index == kDiscard) {
    stored(store_->mark_suppressed(m.id, now), "recording the outcome");
    metrics_.add("linkgate_messages_suppressed_total", {}, 1,
                 "Sign-in messages for unknown identifiers, stored like any and never sent");
    return true;
  }
  auto route = route_for(routes_, m.kind, m.channel_index);
  if (!route) {
    stored(store_->mark_dead(m.id, "no delivery channel for " + std::string(sdk::to_string(m.kind)),
                             now),
           "recording the outcome");
    metrics_.add("linkgate_deliveries_total", {{"channel", "none"}, {"outcome", "failed"}}, 1,
                 "Delivery attempts by channel and outcome");
    log_.write(
        sdk::LogLevel::error, "outbox",
        "message " + m.id + " for " + who + " is dead: no channel for " + sdk::to_string(m.kind));
    return true;
  }
  if (now >= m.expires_at) {
    stored(store_->mark_dead(m.id, "the link expired before it could be delivered", now),
           "recording the outcome");
    log_.write(sdk::LogLevel::warning, "outbox",
               "message " + m.id + " for " + who + " expired before delivery");
    return true;
  }
  const auto& r = routes_[static_cast<std::size_t>(*route)];
  sdk::Message message{m.id,   m.kind, m.recipient, m.subject, m.text,
                       m.html, m.link, m.code,      m.locale,  m.attempts};
  auto result = guarded_send(*r.channel, message);
  if (result.ok()) {
    stored(store_->mark_sent(m.id, clock_.now_seconds()), "recording the outcome");
    metrics_.add("linkgate_deliveries_total", {{"channel", r.plugin}, {"outcome", "sent"}}, 1,
                 "Delivery attempts by channel and outcome");
    log_.write(sdk::LogLevel::info, "outbox",
               "message " + m.id + " for " + who + " delivered by " + r.plugin + " (attempt " +
                   std::to_string(m.attempts) + ")");
    return true;
  }
  const std::string error = result.error().message;
  const bool permanent =
      result.code() == sdk::ErrorCode::permanent || result.code() == sdk::ErrorCode::invalid;
  if (permanent) {
    metrics_.add("linkgate_deliveries_total", {{"channel", r.plugin}, {"outcome", "failed"}}, 1);
    if (auto next = route_for(routes_, m.kind, *route + 1)) {
      stored(store_->move_to_channel(m.id, *next, clock_.now_seconds()), "recording the outcome");
      log_.write(sdk::LogLevel::warning, "outbox",
                 "message " + m.id + " for " + who + ": " + r.plugin + " failed permanently (" +
                     error + "); trying " + routes_[static_cast<std::size_t>(*next)].plugin);
      notify();
      return false;
    }
    stored(store_->mark_dead(m.id, r.plugin + ": " + error, clock_.now_seconds()),
           "recording the outcome");
    log_.write(sdk::LogLevel::error, "outbox",
               "message " + m.id + " for " + who + " is dead: " + r.plugin +
                   " failed permanently: " + error);
    return true;
  }
  if (m.attempts >= settings_.max_attempts) {
    metrics_.add("linkgate_deliveries_total", {{"channel", r.plugin}, {"outcome", "failed"}}, 1);
    stored(store_->mark_dead(m.id, r.plugin + ": " + error, clock_.now_seconds()),
           "recording the outcome");
    log_.write(sdk::LogLevel::error, "outbox",
               "message " + m.id + " for " + who + " is dead after " + std::to_string(m.attempts) +
                   " attempts: " + error);
    return true;
  }
  auto delay =
      backoff_delay(m.attempts, settings_.backoff.first, settings_.backoff.max, random_unit());
  // Due times are whole seconds: round up, so the wait is never shorter than the backoff.
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
          .count();
  const std::int64_t next = (now_ms + std::max<std::int64_t>(delay.count(), 1000) + 999) / 1000;
  stored(store_->mark_retry(m.id, next, r.plugin + ": " + error), "recording the outcome");
  metrics_.add("linkgate_deliveries_total", {{"channel", r.plugin}, {"outcome", "retried"}}, 1);
  log_.write(sdk::LogLevel::warning, "outbox",
             "message " + m.id + " for " + who + ": " + r.plugin + " failed (" + error +
                 "); retry " + std::to_string(m.attempts + 1) + " in " +
                 std::to_string(next * 1000 - now_ms) + "ms");
  return false;
}

}  // namespace linkgate::outbox
