#pragma once
/// @file
/// SDK and ABI versions. CMake reads both from this file for the package version file.

#include <cstdint>

/// The SDK release, semantic versioning.
#define LINKGATE_SDK_VERSION "0.1.0"
/// Bumped whenever an interface, struct or enum in this SDK changes layout or meaning.
/// The host refuses plugins built against another ABI version.
#define LINKGATE_SDK_ABI_VERSION 1

namespace linkgate::sdk {
inline constexpr std::uint32_t kAbiVersion = LINKGATE_SDK_ABI_VERSION;
inline constexpr const char* kSdkVersion = LINKGATE_SDK_VERSION;
}  // namespace linkgate::sdk
