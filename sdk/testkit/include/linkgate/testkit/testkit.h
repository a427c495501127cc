#pragma once
/// @file
/// The linkgate plugin testkit: TestHost (the host services, in memory) and LoadedPlugin (load a
/// built plugin as the server does). Include the conformance suite for your plugin's kind too —
/// each suite must be instantiated once (GoogleTest fails an uninstantiated suite):
///   linkgate/testkit/token_strategy_conformance.h    TokenStrategyConformance
///   linkgate/testkit/delivery_channel_conformance.h  DeliveryChannelConformance
///   linkgate/testkit/user_store_conformance.h        UserStoreConformance

#include "linkgate/testkit/case_name.h"
#include "linkgate/testkit/plugin_loader.h"
#include "linkgate/testkit/test_host.h"
