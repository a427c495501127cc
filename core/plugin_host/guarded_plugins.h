#pragma once
// Adapters that call a plugin's object with its exceptions contained: whatever escapes becomes
// ErrorCode::internal and a log line naming the plugin, and the server keeps serving.

#include <memory>
#include <string>

#include "linkgate/sdk/delivery_channel.h"
#include "linkgate/sdk/token_strategy.h"
#include "linkgate/sdk/user_store.h"
#include "services/log.h"

namespace linkgate::plugin_host {

namespace detail {
template <class F>
auto contain(services::Log& log, const std::string& plugin, const char* method, F&& call)
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
}  // namespace detail

class GuardedTokenStrategy final : public sdk::TokenStrategy {
 public:
  GuardedTokenStrategy(std::shared_ptr<sdk::TokenStrategy> inner, std::string plugin,
                       services::Log& log)
      : inner_(std::move(inner)), plugin_(std::move(plugin)), log_(log) {}
  sdk::Result<sdk::IssuedToken> issue(const sdk::LinkGrant& g) override {
    return detail::contain(log_, plugin_, "issue", [&] { return inner_->issue(g); });
  }
  sdk::Result<sdk::LinkGrant> inspect(std::string_view t) override {
    return detail::contain(log_, plugin_, "inspect", [&] { return inner_->inspect(t); });
  }
  sdk::Result<sdk::LinkGrant> redeem(std::string_view t) override {
    return detail::contain(log_, plugin_, "redeem", [&] { return inner_->redeem(t); });
  }
  sdk::Result<void> revoke_subject(std::string_view s) override {
    return detail::contain(log_, plugin_, "revoke_subject",
                           [&] { return inner_->revoke_subject(s); });
  }
  sdk::Result<void> ready() override {
    return detail::contain(log_, plugin_, "ready", [&] { return inner_->ready(); });
  }
  [[nodiscard]] const std::string& plugin() const { return plugin_; }

 private:
  std::shared_ptr<sdk::TokenStrategy> inner_;
  std::string plugin_;
  services::Log& log_;
};

class GuardedUserStore final : public sdk::UserStore {
 public:
  GuardedUserStore(std::shared_ptr<sdk::UserStore> inner, std::string plugin, services::Log& log)
      : inner_(std::move(inner)), plugin_(std::move(plugin)), log_(log) {}
  sdk::Result<sdk::User> find(const sdk::Identifier& i) override {
    return detail::contain(log_, plugin_, "find", [&] { return inner_->find(i); });
  }
  sdk::Result<sdk::User> get(std::string_view id) override {
    return detail::contain(log_, plugin_, "get", [&] { return inner_->get(id); });
  }
  sdk::Result<sdk::User> create(const sdk::Identifier& i) override {
    return detail::contain(log_, plugin_, "create", [&] { return inner_->create(i); });
  }
  sdk::Result<void> ready() override {
    return detail::contain(log_, plugin_, "ready", [&] { return inner_->ready(); });
  }
  [[nodiscard]] const std::string& plugin() const { return plugin_; }

 private:
  std::shared_ptr<sdk::UserStore> inner_;
  std::string plugin_;
  services::Log& log_;
};

class GuardedDeliveryChannel final : public sdk::DeliveryChannel {
 public:
  GuardedDeliveryChannel(std::shared_ptr<sdk::DeliveryChannel> inner, std::string plugin,
                         services::Log& log)
      : inner_(std::move(inner)), plugin_(std::move(plugin)), log_(log) {}
  sdk::Result<void> send(const sdk::Message& m) override {
    auto r = detail::contain(log_, plugin_, "send", [&] { return inner_->send(m); });
    // A channel that threw may heal (a bug on one path, a transient state): retry, do not drop.
    if (r.code() == sdk::ErrorCode::internal)
      return sdk::fail(sdk::ErrorCode::retryable, r.error().message);
    return r;
  }
  sdk::Result<void> ready() override {
    return detail::contain(log_, plugin_, "ready", [&] { return inner_->ready(); });
  }

 private:
  std::shared_ptr<sdk::DeliveryChannel> inner_;
  std::string plugin_;
  services::Log& log_;
};

}  // namespace linkgate::plugin_host
