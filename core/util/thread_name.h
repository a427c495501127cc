#pragma once

namespace linkgate::util {

/// Names the calling thread (as `top -H`, `ps -L` and perf show it); longer names are cut to the
/// 15 bytes Linux keeps. Never fails: a name is only a help.
void name_this_thread(const char* name) noexcept;

}  // namespace linkgate::util
