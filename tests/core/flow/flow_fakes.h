#pragma once
// In-memory stand-ins for what the flow reaches through its interfaces: its records, the outbox
// queue, the token strategy, the user store, the session issuer, the limits and the audit log.
// Each can be switched "down" to play a dependency that fails.

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "flow/ports.h"
#include "linkgate/sdk/token_strategy.h"
#include "linkgate/sdk/user_store.h"
#include "outbox/message_queue.h"
#include "session/session_tokens.h"

namespace linkgate::flow::fakes {

inline sdk::Error down(const char* what) {
  return sdk::fail(sdk::ErrorCode::unavailable, std::string(what) + " is down");
}

/// The outbox table and the worker's wake-up: MemoryFlows writes a start's message here, in
/// the same step as the flow, as the SQL store does in one transaction.
class MemoryQueue final : public outbox::MessageQueue {
 public:
  bool is_down = false;
  std::vector<outbox::OutboxMessage> queued;
  std::vector<std::string> suppressed;           // flow ids
  std::vector<outbox::OutboxMessage> discarded;  // stored like the rest, never to be sent
  int wakes = 0;
  // With hold_for set, reserve() offers to hold each message that long, as the outbox worker
  // does; what it was handed and the reservations given back are kept.
  std::int64_t hold_for = 0;
  int reservations = 0;  // reserved and not yet handed or given back
  int given_back = 0;
  std::vector<outbox::OutboxMessage> handed;

  void wake() noexcept override { ++wakes; }
  std::int64_t reserve(std::int64_t now_seconds) noexcept override {
    if (hold_for == 0) return 0;
    ++reservations;
    return now_seconds + hold_for;
  }
  void hand(outbox::OutboxMessage message) noexcept override {
    --reservations;
    handed.push_back(std::move(message));
  }
  void give_back() noexcept override {
    --reservations;
    ++given_back;
  }
};

class MemoryFlows final : public FlowRepository {
 public:
  bool is_down = false;
  MemoryQueue* outbox = nullptr;  // where a start's message goes

  sdk::Result<void> create(const Flow& flow, bool supersede, const FlowMessage& message) override {
    std::lock_guard lock(mutex_);
    if (is_down) return down("flows");
    if (message.message) {
      if (outbox == nullptr || outbox->is_down) return down("outbox");
      if (message.message->channel_index != outbox::kDiscard) {
        outbox->queued.push_back(*message.message);
      } else {
        outbox->suppressed.push_back(flow.id);
        outbox->discarded.push_back(*message.message);
      }
    }
    if (supersede) {
      for (auto& [id, f] : flows_) {
        if (f.identifier_key == flow.identifier_key && f.state == FlowState::pending &&
            f.expires_at > flow.created_at)
          f.state = FlowState::superseded;
      }
    }
    flows_[flow.id] = flow;
    return sdk::success();
  }
  sdk::Result<Flow> get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (is_down) return down("flows");
    auto it = flows_.find(id);
    if (it == flows_.end()) return sdk::fail(sdk::ErrorCode::not_found, "no flow");
    return it->second;
  }
  sdk::Result<Flow> find_by_short_key(const std::string& mac) override {
    std::lock_guard lock(mutex_);
    if (is_down) return down("flows");
    for (const auto& [id, f] : flows_) {
      if (!mac.empty() && f.short_key_mac == mac) return f;
    }
    return sdk::fail(sdk::ErrorCode::not_found, "no flow");
  }
  sdk::Result<bool> complete_after(const std::string& id, std::int64_t now,
                                   const std::function<sdk::Result<void>()>& first) override {
    if (auto consumed = first(); !consumed.ok()) return consumed.error();
    std::lock_guard lock(mutex_);
    if (is_down) return down("flows");
    auto it = flows_.find(id);
    if (it == flows_.end() || it->second.state != FlowState::pending ||
        it->second.expires_at <= now) {
      return false;
    }
    it->second.state = FlowState::completed;
    return true;
  }
  sdk::Result<bool> take_attempt(const std::string& id, int max_attempts,
                                 std::int64_t now) override {
    std::lock_guard lock(mutex_);
    if (is_down) return down("flows");
    auto it = flows_.find(id);
    if (it == flows_.end() || it->second.state != FlowState::pending ||
        it->second.attempts >= max_attempts || it->second.expires_at <= now) {
      return false;
    }
    ++it->second.attempts;
    return true;
  }
  sdk::Result<void> kill(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (is_down) return down("flows");
    auto it = flows_.find(id);
    if (it != flows_.end() && it->second.state == FlowState::pending)
      it->second.state = FlowState::dead;
    return sdk::success();
  }
  sdk::Result<bool> note_view(const Flow& flow, const std::string& family) override {
    std::lock_guard lock(mutex_);
    if (is_down) return down("flows");
    auto it = flows_.find(flow.id);
    if (it == flows_.end()) return sdk::fail(sdk::ErrorCode::not_found, "no such flow");
    auto& seen = it->second.viewed_by;
    if (("," + seen + ",").find("," + family + ",") != std::string::npos) return false;
    const bool first = seen.empty();
    seen += (first ? "" : ",") + family;
    return first;
  }
  sdk::Result<SweptFlows> sweep(std::int64_t now, std::int64_t grace_seconds,
                                int max_flows) override {
    std::lock_guard lock(mutex_);
    if (is_down) return down("flows");
    SweptFlows swept;
    for (auto it = flows_.begin();
         it != flows_.end() && static_cast<int>(swept.flows) < max_flows;) {
      if (it->second.expires_at >= now - grace_seconds) {
        ++it;
        continue;
      }
      if (it->second.state != FlowState::completed && !it->second.viewed_by.empty()) {
        std::string list = it->second.viewed_by + ",";
        for (auto at = list.find(','); at != std::string::npos; at = list.find(',')) {
          ++swept.unredeemed_views[list.substr(0, at)];
          list.erase(0, at + 1);
        }
      }
      ++swept.flows;
      it = flows_.erase(it);
    }
    return swept;
  }

  /// The stored flow (precondition: it exists).
  Flow at(const std::string& id) {
    std::lock_guard lock(mutex_);
    return flows_.at(id);
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return flows_.size();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, Flow> flows_;
};

/// Tokens `tok.<flow id>.<n>` that stand for their grant; redeemed once.
class MemoryTokens final : public sdk::TokenStrategy {
 public:
  sdk::ErrorCode issue_fails = sdk::ErrorCode::none;
  sdk::ErrorCode inspect_fails = sdk::ErrorCode::none;
  sdk::ErrorCode redeem_fails = sdk::ErrorCode::none;
  std::size_t padding = 0;  // makes tokens this much longer (an ES256 JWT is ~300 characters)

  sdk::Result<sdk::IssuedToken> issue(const sdk::LinkGrant& grant) override {
    if (issue_fails != sdk::ErrorCode::none) return sdk::fail(issue_fails, "issue failed");
    std::string token =
        "tok." + grant.flow_id + "." + std::to_string(grants_.size()) + std::string(padding, 'x');
    grants_[token] = grant;
    return sdk::IssuedToken{token, grant.expires_at};
  }
  sdk::Result<sdk::LinkGrant> inspect(std::string_view token) override {
    ++inspected;
    auto grant = grant_of(token);
    if (grant.ok() && was_redeemed(std::string(token))) {
      return sdk::fail(sdk::ErrorCode::used, "redeemed already");
    }
    return grant;
  }
  sdk::Result<sdk::LinkGrant> inspect_for_redeem(std::string_view token) override {
    ++inspected_for_redeem;
    return grant_of(token);
  }
  sdk::Result<sdk::LinkGrant> redeem(std::string_view token) override {
    if (redeem_fails != sdk::ErrorCode::none) return sdk::fail(redeem_fails, "redeem failed");
    auto grant = grant_of(token);
    if (!grant.ok()) return grant;
    if (!redeemed_.insert(std::string(token)).second) {
      return sdk::fail(sdk::ErrorCode::used, "redeemed already");
    }
    return grant;
  }
  sdk::Result<void> revoke_subject(std::string_view) override {
    return sdk::fail(sdk::ErrorCode::unsupported, "");
  }
  sdk::Result<void> ready() override { return sdk::success(); }

  bool was_redeemed(const std::string& token) const { return redeemed_.count(token) > 0; }
  int inspected = 0;
  int inspected_for_redeem = 0;

 private:
  sdk::Result<sdk::LinkGrant> grant_of(std::string_view token) {
    if (inspect_fails != sdk::ErrorCode::none) return sdk::fail(inspect_fails, "inspect failed");
    auto it = grants_.find(std::string(token));
    if (it == grants_.end()) return sdk::fail(sdk::ErrorCode::invalid, "unknown token");
    return it->second;
  }

  std::map<std::string, sdk::LinkGrant> grants_;
  std::set<std::string> redeemed_;
};

class MemoryUsers final : public sdk::UserStore {
 public:
  bool is_down = false;
  std::map<std::string, sdk::User> users;  // by id

  sdk::Result<sdk::User> find(const sdk::Identifier& who) override {
    if (is_down) return down("users");
    for (const auto& [id, u] : users) {
      if ((who.kind == sdk::AddressKind::email ? u.email : u.phone) == who.value) return u;
    }
    return sdk::fail(sdk::ErrorCode::not_found, "no user");
  }
  sdk::Result<sdk::User> get(std::string_view id) override {
    if (is_down) return down("users");
    auto it = users.find(std::string(id));
    if (it == users.end()) return sdk::fail(sdk::ErrorCode::not_found, "no user");
    return it->second;
  }
  sdk::Result<sdk::User> create(const sdk::Identifier& who) override {
    if (is_down) return down("users");
    if (auto found = find(who); found.ok()) return found;
    sdk::User u{"usr_" + std::to_string(users.size() + 1), "", "", ""};
    (who.kind == sdk::AddressKind::email ? u.email : u.phone) = who.value;
    users[u.id] = u;
    return u;
  }
  sdk::Result<void> ready() override { return sdk::success(); }
};

class CountingSessions final : public session::SessionIssuer {
 public:
  bool is_down = false;
  int issued = 0;
  sdk::Result<session::IssuedSession> issue(const sdk::User& user) override {
    if (is_down) return down("signing keys");
    ++issued;
    return session::IssuedSession{"session-for-" + user.id, 0};
  }
};

class DownAdmission final : public Admission {
 public:
  sdk::Result<std::optional<Refusal>> admit_start(const std::string&, const std::string&,
                                                  sdk::AddressKind) override {
    return down("redis");
  }
  sdk::Result<std::optional<Refusal>> admit_redeem(const std::string&) override {
    return down("redis");
  }
  sdk::Result<CodeGuess> admit_code(const std::string&) override { return down("redis"); }
  void code_was_right(const std::string&, const std::string&) override {}
};

class RecordingAudit final : public audit::AuditSink {
 public:
  std::vector<audit::AuditEvent> events;
  void record(const audit::AuditEvent& event, std::int64_t) noexcept override {
    events.push_back(event);
  }
  /// "event" or "event/reason", oldest first.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.event + (e.reason.empty() ? "" : "/" + e.reason));
    return out;
  }
};

}  // namespace linkgate::flow::fakes
