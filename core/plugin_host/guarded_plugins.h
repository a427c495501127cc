#pragma once
// Adapters that call a plugin's object with its exceptions contained — whatever escapes becomes
// ErrorCode::internal and a log line naming the plugin — and within the plugin's call timeout
// (CallRunner). The server keeps serving either way.

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "host/log.h"
#include "linkgate/sdk/delivery_channel.h"
#include "linkgate/sdk/token_strategy.h"
#include "linkgate/sdk/user_store.h"
#include "plugin_host/call_runner.h"

namespace linkgate::plugin_host {

namespace detail {
template <class F>
auto contain(host::Log& log, const std::string& plugin, const char* method, F&& call)
    -> decltype(call()) {
  try {
    return call();
  } catch (const std::exception& e) {
    log.write(sdk::LogLevel::error, "core",
              "plugin " + plugin + " threw from " + method + ": " + e.what());
  } catch (...) {
    log.write(sdk::LogLevel::error, "core", "plugin " + plugin + " threw from " + method);
  }
  return sdk::fail(sdk::ErrorCode::internal, "plugin " + plugin + " failed");
}

/// What a call run on another thread keeps of an argument: a copy, and a string for a view.
template <class T>
using Owned = std::conditional_t<std::is_same_v<T, std::string_view>, std::string, T>;

/// What every adapter shares: the plugin object, its name, the log and its call runner. The
/// calls capture copies (shared ownership of the object and of the log), never the adapter: a
/// call past its deadline may outlive the adapter, the runtime and the server that made it.
template <class Interface>
class Guard {
 public:
  Guard(std::shared_ptr<Interface> inner, std::string plugin, std::shared_ptr<host::Log> log,
        std::chrono::milliseconds timeout, host::MetricsRegistry* metrics)
      : inner_(std::move(inner)),
        plugin_(std::move(plugin)),
        log_(std::move(log)),
        runner_(std::make_unique<CallRunner>(plugin_, timeout, *log_, 64, metrics)) {}

  /// f(object, args...) with its exceptions contained, within the call timeout. On the
  /// caller's thread (no timeout) the arguments are passed as they are; a call run on the
  /// plugin's thread, which may outlive the caller, gets its own copies (a string_view's as a
  /// string).
  template <class R, class F, class... Args>
  R call(const char* method, F f, const Args&... args) {
    if (runner_->runs_inline()) {
      const auto started = std::chrono::steady_clock::now();
      R result = contain(*log_, plugin_, method, [&] { return f(*inner_, args...); });
      runner_->record(method, started);
      return result;
    }
    return runner_->run<R>(method,
                           [inner = inner_, plugin = plugin_, log = log_, method, f,
                            owned = std::tuple<Owned<Args>...>(args...)]() -> R {
                             return contain(*log, plugin, method, [&] {
                               return std::apply([&](const auto&... a) { return f(*inner, a...); },
                                                 owned);
                             });
                           });
  }
  [[nodiscard]] const std::string& plugin() const { return plugin_; }

  /// @p result, unless @p broken says what is wrong with it: then an internal error and a log
  /// line naming the plugin.
  template <class R>
  R checked(R result, const char* method, const char* broken) {
    if (!result.ok() || broken == nullptr) return result;
    const std::string text = "plugin " + plugin_ + " returned " + broken + " from " + method;
    log_->write(sdk::LogLevel::error, "core", text);
    return sdk::fail(sdk::ErrorCode::internal, text);
  }

 private:
  std::shared_ptr<Interface> inner_;
  std::string plugin_;
  std::shared_ptr<host::Log> log_;
  std::unique_ptr<CallRunner> runner_;
};
}  // namespace detail

class GuardedTokenStrategy final : public sdk::TokenStrategy {
 public:
  GuardedTokenStrategy(std::shared_ptr<sdk::TokenStrategy> inner, std::string plugin,
                       std::shared_ptr<host::Log> log, std::chrono::milliseconds timeout = {},
                       host::MetricsRegistry* metrics = nullptr)
      : guard_(std::move(inner), std::move(plugin), std::move(log), timeout, metrics) {}
  sdk::Result<sdk::IssuedToken> issue(const sdk::LinkGrant& g) override {
    auto issued = guard_.call<sdk::Result<sdk::IssuedToken>>(
        "issue", [](sdk::TokenStrategy& s, const sdk::LinkGrant& g) { return s.issue(g); }, g);
    // The token goes into a URL as it is.
    const bool url_safe =
        issued.ok() && !issued->token.empty() && issued->token.size() <= 4096 &&
        std::all_of(issued->token.begin(), issued->token.end(), [](unsigned char c) {
          return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
        });
    return guard_.checked(std::move(issued), "issue",
                          url_safe ? nullptr : "a token that is not URL-safe");
  }
  sdk::Result<sdk::LinkGrant> inspect(std::string_view t) override {
    return guard_.call<sdk::Result<sdk::LinkGrant>>(
        "inspect", [](sdk::TokenStrategy& s, std::string_view t) { return s.inspect(t); }, t);
  }
  sdk::Result<sdk::LinkGrant> inspect_for_redeem(std::string_view t) override {
    return guard_.call<sdk::Result<sdk::LinkGrant>>(
        "inspect_for_redeem",
        [](sdk::TokenStrategy& s, std::string_view t) { return s.inspect_for_redeem(t); }, t);
  }
  sdk::Result<sdk::LinkGrant> redeem(std::string_view t) override {
    return guard_.call<sdk::Result<sdk::LinkGrant>>(
        "redeem", [](sdk::TokenStrategy& s, std::string_view t) { return s.redeem(t); }, t);
  }
  sdk::Result<void> revoke_subject(std::string_view subject) override {
    return guard_.call<sdk::Result<void>>(
        "revoke_subject",
        [](sdk::TokenStrategy& s, std::string_view subject) { return s.revoke_subject(subject); },
        subject);
  }
  sdk::Result<void> ready() override {
    return guard_.call<sdk::Result<void>>("ready", [](sdk::TokenStrategy& s) { return s.ready(); });
  }
  [[nodiscard]] const std::string& plugin() const { return guard_.plugin(); }

 private:
  detail::Guard<sdk::TokenStrategy> guard_;
};

class GuardedUserStore final : public sdk::UserStore {
 public:
  GuardedUserStore(std::shared_ptr<sdk::UserStore> inner, std::string plugin,
                   std::shared_ptr<host::Log> log, std::chrono::milliseconds timeout = {},
                   host::MetricsRegistry* metrics = nullptr)
      : guard_(std::move(inner), std::move(plugin), std::move(log), timeout, metrics) {}
  sdk::Result<sdk::User> find(const sdk::Identifier& i) override {
    return valid(
        guard_.call<sdk::Result<sdk::User>>(
            "find", [](sdk::UserStore& s, const sdk::Identifier& i) { return s.find(i); }, i),
        "find");
  }
  sdk::Result<sdk::User> get(std::string_view id) override {
    return valid(guard_.call<sdk::Result<sdk::User>>(
                     "get", [](sdk::UserStore& s, std::string_view id) { return s.get(id); }, id),
                 "get");
  }
  sdk::Result<sdk::User> create(const sdk::Identifier& i) override {
    return valid(
        guard_.call<sdk::Result<sdk::User>>(
            "create", [](sdk::UserStore& s, const sdk::Identifier& i) { return s.create(i); }, i),
        "create");
  }
  sdk::Result<void> ready() override {
    return guard_.call<sdk::Result<void>>("ready", [](sdk::UserStore& s) { return s.ready(); });
  }
  sdk::Result<sdk::UserPage> list(std::string_view after, std::size_t limit) override {
    auto page = guard_.call<sdk::Result<sdk::UserPage>>(
        "list",
        [](sdk::UserStore& s, std::string_view after, std::size_t limit) {
          return s.list(after, std::max<std::size_t>(1, limit));
        },
        after, limit);
    if (!page.ok()) return page;
    for (auto& user : page->users) {
      auto checked = valid(sdk::Result<sdk::User>(user), "list");
      if (!checked.ok()) return checked.error();
    }
    // A page that does not move past `after` would page for ever.
    const bool moves = page->next_after.empty() || page->next_after > after;
    return guard_.checked(std::move(page), "list",
                          moves ? nullptr : "a page that does not advance");
  }
  sdk::Result<void> set_disabled(std::string_view id, bool disabled) override {
    return guard_.call<sdk::Result<void>>(
        "set_disabled",
        [](sdk::UserStore& s, std::string_view id, bool disabled) {
          return s.set_disabled(id, disabled);
        },
        id, disabled);
  }
  sdk::Result<void> remove(std::string_view id) override {
    return guard_.call<sdk::Result<void>>(
        "remove", [](sdk::UserStore& s, std::string_view id) { return s.remove(id); }, id);
  }
  [[nodiscard]] const std::string& plugin() const { return guard_.plugin(); }

 private:
  // A user the core would put into a session must have an id and plain addresses.
  sdk::Result<sdk::User> valid(sdk::Result<sdk::User> user, const char* method) {
    if (!user.ok()) return user;
    const auto plain = [](const std::string& s) {
      return s.size() <= 320 && std::none_of(s.begin(), s.end(),
                                             [](unsigned char c) { return c < 0x20 || c == 0x7f; });
    };
    const char* broken = user->id.empty() || user->id.size() > 256 ? "a user without a usable id"
                         : !plain(user->id) || !plain(user->email) || !plain(user->phone)
                             ? "a user with control characters"
                             : nullptr;
    return guard_.checked(std::move(user), method, broken);
  }

  detail::Guard<sdk::UserStore> guard_;
};

class GuardedDeliveryChannel final : public sdk::DeliveryChannel {
 public:
  GuardedDeliveryChannel(std::shared_ptr<sdk::DeliveryChannel> inner, std::string plugin,
                         std::shared_ptr<host::Log> log, std::chrono::milliseconds timeout = {},
                         host::MetricsRegistry* metrics = nullptr)
      : guard_(std::move(inner), std::move(plugin), std::move(log), timeout, metrics) {}
  sdk::Result<void> send(const sdk::Message& m) override {
    auto r = guard_.call<sdk::Result<void>>(
        "send", [](sdk::DeliveryChannel& c, const sdk::Message& m) { return c.send(m); }, m);
    // A channel that threw or hung may heal (a bug on one path, a gateway that stalls): retry,
    // do not drop.
    if (r.code() == sdk::ErrorCode::internal || r.code() == sdk::ErrorCode::unavailable)
      return sdk::fail(sdk::ErrorCode::retryable, r.error().message);
    return r;
  }
  sdk::Result<void> ready() override {
    return guard_.call<sdk::Result<void>>("ready",
                                          [](sdk::DeliveryChannel& c) { return c.ready(); });
  }
  std::size_t batch_limit() override {
    auto limit = guard_.call<sdk::Result<std::size_t>>("batch_limit", [](sdk::DeliveryChannel& c) {
      return sdk::Result<std::size_t>(c.batch_limit());
    });
    return limit.ok() ? std::clamp<std::size_t>(limit.value(), 1, kMostPerBatch) : 1;
  }
  std::vector<sdk::Result<void>> send_batch(const std::vector<sdk::Message>& messages) override {
    return send_shared_batch(std::make_shared<const std::vector<sdk::Message>>(messages));
  }
  /// send_batch() with the messages shared with the call instead of copied for it (their bodies
  /// are most of a claim's memory): a call that outlives its deadline on the plugin's thread
  /// keeps them alive itself. @p messages must not be changed until the call has returned
  /// everywhere, which the shared pointer to const says.
  std::vector<sdk::Result<void>> send_shared_batch(
      std::shared_ptr<const std::vector<sdk::Message>> messages) {
    const std::size_t count = messages->size();
    auto results = guard_.call<sdk::Result<std::vector<sdk::Result<void>>>>(
        "send_batch", [messages = std::move(messages)](sdk::DeliveryChannel& c) {
          return sdk::Result<std::vector<sdk::Result<void>>>(c.send_batch(*messages));
        });
    if (results.ok() && results->size() != count) {
      results = guard_.checked(std::move(results), "send_batch",
                               "another number of results than messages");
    }
    if (!results.ok()) {
      // Threw, hung or miscounted: nothing says which messages went, so all go again.
      return std::vector<sdk::Result<void>>(
          count, sdk::fail(sdk::ErrorCode::retryable, results.error().message));
    }
    auto each = std::move(results.value());
    for (auto& r : each) {
      if (r.code() == sdk::ErrorCode::internal || r.code() == sdk::ErrorCode::unavailable)
        r = sdk::fail(sdk::ErrorCode::retryable, r.error().message);
    }
    return each;
  }
  /// The cap on batch_limit(): a batch past it would hold one call (and its timeout) too long.
  static constexpr std::size_t kMostPerBatch = 1024;

 private:
  detail::Guard<sdk::DeliveryChannel> guard_;
};

}  // namespace linkgate::plugin_host
