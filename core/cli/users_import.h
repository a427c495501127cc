#pragma once
// `linkgate users import FILE`: a list of addresses (one per line) made into users, for a
// deployment that takes over an existing user base.

#include <cstddef>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "linkgate/sdk/user_store.h"

namespace linkgate::cli {

/// What an import did, line by line.
struct ImportReport {
  /// A line that made no user, and why.
  struct Refusal {
    std::size_t line = 0;
    std::string why;
  };
  std::size_t added = 0;
  std::size_t existing = 0;       ///< already users, before the import or earlier in the file
  std::size_t refused = 0;        ///< lines that are no address (all counted)
  std::vector<Refusal> refusals;  ///< the first kMaxRefusals of them
  /// Set when the store failed: the import stopped at this line, which and the lines after it
  /// were not read. Importing the file again goes on where it stopped (users made count as
  /// existing).
  std::optional<Refusal> stopped;
  static constexpr std::size_t kMaxRefusals = 20;
};

/// Longest line read as an address; a longer one is refused whole.
inline constexpr std::size_t kMaxImportLine = 1024;

/// Makes a user of every address in @p in: one per line, an e-mail address or a phone number as
/// `users add` takes them; blank lines and lines starting with `#` are skipped, surrounding
/// white space (a CR included) ignored. @p added is called with each user made. Reads until the
/// end of @p in or the store's first failure; never throws for what the input holds.
ImportReport import_users(std::istream& in, sdk::UserStore& users,
                          const std::function<void(const sdk::User&)>& added);

}  // namespace linkgate::cli
