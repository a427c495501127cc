#pragma once
/// @file
/// Everything a plugin author needs, in one include.

#include "linkgate/sdk/config_view.h"
#include "linkgate/sdk/delivery_channel.h"
#include "linkgate/sdk/host_services.h"
#include "linkgate/sdk/plugin.h"
#include "linkgate/sdk/result.h"
#include "linkgate/sdk/token_strategy.h"
#include "linkgate/sdk/types.h"
#include "linkgate/sdk/user_store.h"
#include "linkgate/sdk/version.h"
