// What rendering a sign-in e-mail costs: MessageTemplates::render (subject, text and HTML from
// the shipped English templates, each parsed once per thread) against parsing all three anew
// for each message, as it was done before; and escaping the result for the development
// channel's message file.
//   build/template_bench

#include <benchmark/benchmark.h>

#include <kainjow/mustache.hpp>

#include <string>

#include "flow/message_templates.h"
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

void BM_ParseAndRenderSignInEmail(benchmark::State& state) {
  namespace mustache = kainjow::mustache;
  std::string sources[3];
  int i = 0;
  for (const char* file : {"email.subject", "email.txt", "email.html"}) {
    sources[i++] = linkgate::util::read_file(kTemplates + "/en/" + file).value_or("");
  }
  const auto v = values();
  for (auto _ : state) {
    mustache::data d;
    d.set("link", v.link);
    d.set("code", v.code);
    d.set("minutes", std::to_string(v.minutes));
    d.set("app_name", v.app_name);
    d.set("title", v.title);
    d.set("domain", v.domain);
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
