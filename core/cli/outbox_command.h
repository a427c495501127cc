#pragma once
// `linkgate outbox list|retry|purge`: the stored messages as an operator sees them — where each
// goes (masked) and how it fares, never its link or code.

#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "cli/arguments.h"
#include "outbox/outbox_admin.h"
#include "outbox/outbox_store.h"

namespace linkgate::cli {

extern const std::set<std::string> kOutboxOptions;
extern const std::set<std::string> kOutboxFlags;

/// `outbox --help`.
void outbox_help(std::ostream& out);

/// What the outbox command works with: the store and its operator view, the channel names by
/// delivery index, and now (Unix seconds).
struct OutboxContext {
  outbox::OutboxStore& store;
  outbox::OutboxAdmin& admin;
  std::vector<std::string> channels;
  std::int64_t now = 0;
};

/// Runs `outbox <verb> …` (@p a.words[0] is the verb). Returns the exit code (exit_codes.h).
int run_outbox(const Arguments& a, OutboxContext& c, std::ostream& out, std::ostream& err);

}  // namespace linkgate::cli
