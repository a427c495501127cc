#include "host/request_scope.h"

namespace linkgate::host {
namespace {

thread_local std::string current_request;

}  // namespace

RequestScope::RequestScope(std::string id) : previous_(std::move(current_request)) {
  current_request = std::move(id);
}

RequestScope::~RequestScope() {
  current_request = std::move(previous_);
}

const std::string& RequestScope::current() noexcept {
  return current_request;
}

}  // namespace linkgate::host
