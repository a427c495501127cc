#pragma once

#include <string>

namespace linkgate::flow {

/// "Firefox on Linux", "Safari on iPhone", "curl": what kind of device asked for a link, from
/// its User-Agent, for the confirm page shown in another browser. Never more than that.
std::string describe_device(const std::string& user_agent);

}  // namespace linkgate::flow
