#pragma once
/// @file
/// SDK and ABI versions, and the build signature. CMake reads both versions from this file for
/// the package version file.

#include <cstdint>

/// The SDK release, semantic versioning.
#define LINKGATE_SDK_VERSION "0.5.0"
/// Bumped whenever an interface, struct or enum in this SDK changes layout or meaning. The host
/// refuses plugins built against another ABI version. sdk/abi-versions.txt records the hash of
/// the public headers for each ABI version; a test fails when the headers change without a bump.
#define LINKGATE_SDK_ABI_VERSION 5

/// @cond internal
#define LINKGATE_SDK_STR2(x) #x
#define LINKGATE_SDK_STR(x) LINKGATE_SDK_STR2(x)
#if defined(__clang__)
#define LINKGATE_SDK_COMPILER "clang-" LINKGATE_SDK_STR(__clang_major__)
#elif defined(__GNUC__)
#define LINKGATE_SDK_COMPILER "gcc-" LINKGATE_SDK_STR(__GNUC__)
#elif defined(_MSC_VER)
#define LINKGATE_SDK_COMPILER "msvc-" LINKGATE_SDK_STR(_MSC_VER)
#else
#define LINKGATE_SDK_COMPILER "unknown-compiler"
#endif
#if defined(_LIBCPP_VERSION)
#define LINKGATE_SDK_STDLIB \
  "libc++-" LINKGATE_SDK_STR(_LIBCPP_VERSION) "-abi" LINKGATE_SDK_STR(_LIBCPP_ABI_VERSION)
#elif defined(_GLIBCXX_RELEASE)
#define LINKGATE_SDK_STDLIB                                                     \
  "libstdc++-" LINKGATE_SDK_STR(_GLIBCXX_RELEASE) "-cxx11abi" LINKGATE_SDK_STR( \
      _GLIBCXX_USE_CXX11_ABI)
#else
#define LINKGATE_SDK_STDLIB "unknown-stdlib"
#endif
/// @endcond

/// How this translation unit is built, as far as it decides whether C++ objects can cross the
/// plugin boundary: compiler family and major version, standard library and its ABI, C++
/// standard. `std::string`, `std::vector` and `std::function` cross the boundary, so host and
/// plugin must agree on all of it; the host compares it before making any call into a plugin.
#define LINKGATE_SDK_BUILD_SIGNATURE \
  LINKGATE_SDK_COMPILER " " LINKGATE_SDK_STDLIB " c++" LINKGATE_SDK_STR(__cplusplus)

namespace linkgate::sdk {
/// LINKGATE_SDK_ABI_VERSION as a value.
inline constexpr std::uint32_t kAbiVersion = LINKGATE_SDK_ABI_VERSION;
/// LINKGATE_SDK_VERSION as a value.
inline constexpr const char* kSdkVersion = LINKGATE_SDK_VERSION;
/// LINKGATE_SDK_BUILD_SIGNATURE as a value: the signature of whoever includes this header.
inline constexpr const char* kBuildSignature = LINKGATE_SDK_BUILD_SIGNATURE;
}  // namespace linkgate::sdk
