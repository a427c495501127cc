// What rendering a sign-in e-mail costs: MessageTemplates::render (subject, text and HTML from
// the shipped English templates, which are only text and variables and so are joined by
// flow/plain_template) against kainjow rendering the same three parsed once (how it was done
// until 2026-12-02, and still is for a template with sections) and parsing all three anew for
// each message (how it was done before that); and escaping the result for the development
// channel's message file.
//   build/template_bench

#include <benchmark/benchmark.h>

#include <kainjow/mustache.hpp>

#include <string>
#include <vector>

#include "flow/message_templates.h"
#include "flow/mustache_values.h"
#include "util/files.h"
#include "util/json_escape.h"
#include "util/utf8.h"

namespace {

const std::string kTemplates = std::string(LINKGATE_SOURCE_DIR) + "/configs/templates";

linkgate::flow::MessageValues values() {
  return {"https://id.example.com/v1/magic-links/confirm#token=eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
          "123456",
          15,
          "Acme",
          "Sign in",
          "id.example.com"};
}

void BM_RenderSignInEmail(benchmark::State& state) {
  const linkgate::flow::MessageTemplates templates(kTemplates, "en");
  const auto v = values();
  for (auto _ : state) {
    auto m = templates.render(linkgate::sdk::AddressKind::email, v, {"en"});
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_RenderSignInEmail);

namespace mustache = kainjow::mustache;

std::vector<std::string> email_sources() {
  std::vector<std::string> sources;
  for (const char* file : {"email.subject", "email.txt", "email.html"}) {
    sources.push_back(linkgate::util::read_file(kTemplates + "/en/" + file).value_or(""));
  }
  return sources;
}

void BM_KainjowRenderSignInEmail(benchmark::State& state) {
  std::vector<mustache::mustache> parsed;
  for (const auto& source : email_sources()) parsed.emplace_back(source);
  parsed[0].set_custom_escape([](const std::string& s) { return s; });
  parsed[1].set_custom_escape([](const std::string& s) { return s; });
  const auto v = values();
  for (auto _ : state) {
    const auto d = linkgate::flow::mustache_values(v);
    for (auto& one : parsed) {
      auto text = one.render(d);
      benchmark::DoNotOptimize(text);
    }
  }
}
BENCHMARK(BM_KainjowRenderSignInEmail);

void BM_ParseAndRenderSignInEmail(benchmark::State& state) {
  const auto sources = email_sources();
  const auto v = values();
  for (auto _ : state) {
    const auto d = linkgate::flow::mustache_values(v);
    for (const auto& source : sources) {
      mustache::mustache parsed(source);
      auto text = parsed.render(d);
      benchmark::DoNotOptimize(text);
    }
  }
}
BENCHMARK(BM_ParseAndRenderSignInEmail);

// The development channel's share of a rendered e-mail: its text and HTML made well-formed UTF-8
// and escaped for the message file's JSON strings (plugins/delivery/outbox message_json).
void BM_EscapeSignInEmailForItsFile(benchmark::State& state) {
  const linkgate::flow::MessageTemplates templates(kTemplates, "en");
  const auto m = templates.render(linkgate::sdk::AddressKind::email, values(), {"en"});
  for (auto _ : state) {
    auto text = linkgate::util::json_escape(linkgate::util::valid_utf8(m.text));
    auto html = linkgate::util::json_escape(linkgate::util::valid_utf8(m.html));
    benchmark::DoNotOptimize(text);
    benchmark::DoNotOptimize(html);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(m.text.size() + m.html.size()));
}
BENCHMARK(BM_EscapeSignInEmailForItsFile);

}  // namespace

BENCHMARK_MAIN();
