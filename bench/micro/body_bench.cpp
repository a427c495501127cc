// What reading a request's JSON body costs: http::parse_json_fields on a redeem's body (one
// link token) and a start's (an address and a redirect), against Poco's JSON parser reading the
// same bodies into a map as parse_json_fields did before (docs/performance.md).
//   build/body_bench

#include <benchmark/benchmark.h>

#include <Poco/JSON/Parser.h>

#include <map>
#include <string>

#include "http/body_fields.h"

namespace {

const std::string kRedeem =
    R"({"token":"eyJhbGciOiJFUzI1NiIsImtpZCI6ImFiY2RlZmdoIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjgwODAiLCJzdWIiOiJmbG93LTAxMjM0NTY3ODkiLCJhdWQiOiJsaW5rIiwiZXhwIjoxOTAwMDAwMDAwLCJpYXQiOjE4OTk5OTk0MDAsImp0aSI6ImFiY2RlZmdoaWprbG1ub3AifQ.MEUCIQDxyz0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijk"})";
const std::string kStart =
    R"({"identifier":"someone.new@example.com","redirect_uri":"https://app.example.com/after-sign-in","locale":"en"})";

std::map<std::string, std::string> poco_fields(const std::string& body) {
  Poco::JSON::Parser parser;
  auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : *object) out[key] = value.convert<std::string>();
  return out;
}

void BM_ParseJsonFields(benchmark::State& state, const std::string* body) {
  for (auto _ : state) benchmark::DoNotOptimize(linkgate::http::parse_json_fields(*body));
}
void BM_PocoJsonFields(benchmark::State& state, const std::string* body) {
  for (auto _ : state) benchmark::DoNotOptimize(poco_fields(*body));
}
BENCHMARK_CAPTURE(BM_ParseJsonFields, redeem, &kRedeem);
BENCHMARK_CAPTURE(BM_PocoJsonFields, redeem, &kRedeem);
BENCHMARK_CAPTURE(BM_ParseJsonFields, start, &kStart);
BENCHMARK_CAPTURE(BM_PocoJsonFields, start, &kStart);

}  // namespace

BENCHMARK_MAIN();
