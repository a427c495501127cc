#pragma once
/// @file
/// The linkgate plugin testkit: TestHost, LoadedPlugin and the three conformance suites.
/// Include it in one test file of your plugin (the suites define tests).

#include "linkgate/testkit/delivery_channel_conformance.h"
#include "linkgate/testkit/plugin_loader.h"
#include "linkgate/testkit/test_host.h"
#include "linkgate/testkit/token_strategy_conformance.h"
#include "linkgate/testkit/user_store_conformance.h"
