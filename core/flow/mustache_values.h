#pragma once
// The values a message template can name, as kainjow's data: what a template with sections or
// partials is rendered from (flow/message_templates), and what the tests and the benchmark of
// flow/plain_template hold its output to.

#include <kainjow/mustache.hpp>

#include "flow/message_templates.h"

namespace linkgate::flow {

kainjow::mustache::data mustache_values(const MessageValues& values);

}  // namespace linkgate::flow
