#pragma once
// Database calls as values: Poco Data reports a lost connection, a locked database or a full disk
// by throwing; the layers above see sdk::Result with ErrorCode::unavailable instead.

#include <Poco/Exception.h>

#include <exception>
#include <string>
#include <type_traits>

#include "linkgate/sdk/result.h"

namespace linkgate::sql {

template <class T>
struct IsResult : std::false_type {};
template <class T>
struct IsResult<sdk::Result<T>> : std::true_type {};

/// Runs @p work (a database call) and returns its value as a Result; what @p work throws becomes
/// ErrorCode::unavailable with @p what and the exception's text (which never holds a password:
/// Database::safe_url() is what connection errors name).
template <class F>
auto attempt(const char* what, F&& work) {
  using Returned = std::invoke_result_t<F&>;
  using R = std::conditional_t<IsResult<Returned>::value, Returned, sdk::Result<Returned>>;
  try {
    if constexpr (std::is_void_v<Returned>) {
      work();
      return R{};
    } else {
      return R(work());
    }
  } catch (const Poco::Exception& e) {
    return R(sdk::fail(sdk::ErrorCode::unavailable, std::string(what) + ": " + e.displayText()));
  } catch (const std::exception& e) {
    return R(sdk::fail(sdk::ErrorCode::unavailable, std::string(what) + ": " + e.what()));
  }
}

}  // namespace linkgate::sql
