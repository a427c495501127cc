#pragma once
// Random link tokens (256 bits, base64url, 43 characters). Only their SHA-256 is stored, with
// the grant; redeem is one atomic step in the store (a conditional UPDATE in SQL, SET NX in
// Redis), so of any number of concurrent redeems, on any number of servers sharing the store,
// exactly one wins.

#include <atomic>
#include <memory>
#include <string>

#include "linkgate/sdk/sdk.h"
#include "token_records.h"

namespace linkgate::plugins::stateful {

class StatefulTokenStrategy final : public sdk::TokenStrategy {
 public:
  /// Opens @p store_url (`sqlite:PATH`, `postgresql://...` or `redis://host:port`). Throws
  /// std::runtime_error when the store cannot be opened or reached.
  StatefulTokenStrategy(const std::string& store_url, sdk::HostServices& host);

  sdk::Result<sdk::IssuedToken> issue(const sdk::LinkGrant& grant) override;
  sdk::Result<sdk::LinkGrant> inspect(std::string_view token) override;
  sdk::Result<sdk::LinkGrant> redeem(std::string_view token) override;
  sdk::Result<void> revoke_subject(std::string_view subject) override;
  sdk::Result<void> ready() override;

  /// Deletes tokens that expired more than a day ago. Returns how many.
  std::size_t sweep();

 private:
  sdk::Result<sdk::LinkGrant> judge(const TokenRow& row);

  std::unique_ptr<TokenRecords> records_;
  sdk::HostServices& host_;
  std::atomic<unsigned> issued_since_sweep_{0};
};

/// True for 43 base64url characters (what issue() makes).
bool well_formed(std::string_view token);

}  // namespace linkgate::plugins::stateful
