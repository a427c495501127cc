#pragma once

#include "linkgate/sdk/host_services.h"

namespace linkgate::host {

/// HTTP(S) over Poco Net / NetSSL; certificates verified against the system CAs.
class PocoHttpClient final : public sdk::HttpClient {
 public:
  sdk::Result<sdk::HttpResponse> send(const sdk::HttpRequest& request) noexcept override;
};

}  // namespace linkgate::host
