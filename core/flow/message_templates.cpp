#include "flow/message_templates.h"

#include <kainjow/mustache.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "flow/mustache_values.h"
#include "util/files.h"

namespace linkgate::flow {
namespace {

namespace mustache = kainjow::mustache;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::atomic<std::uint64_t> next_serial{1};

// A thread's parsed templates, for one MessageTemplates at a time (by serial: an instance that
// replaces another may be built at the same address). Keyed by the source text's address in it,
// and by escape (the same source is never rendered both ways, but a key must not rely on that).
struct ParsedHere {
  std::uint64_t serial = 0;
  std::map<std::pair<const std::string*, bool>, std::unique_ptr<mustache::mustache>> templates;
};
thread_local ParsedHere parsed_here;

using Escape = PlainTemplate::Escape;

mustache::mustache& parsed(std::uint64_t serial, const std::string& source, Escape escape) {
  if (parsed_here.serial != serial) {
    parsed_here.templates.clear();
    parsed_here.serial = serial;
  }
  auto& slot = parsed_here.templates[{&source, escape == Escape::html}];
  if (!slot) {
    slot = std::make_unique<mustache::mustache>(source);
    // Plain text (and subjects): values as they are, no HTML escaping.
    if (escape == Escape::none) slot->set_custom_escape([](const std::string& s) { return s; });
  }
  return *slot;
}

std::string one_line(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return s;
}

constexpr const char* kUnknownSubject = "Sign-in attempt at {{app_name}}";
constexpr const char* kUnknownText =
    "Hello,\n\n"
    "someone asked to sign in to {{app_name}} with this e-mail address, but it has no account "
    "there.\n\n"
    "If that was you, you may have an account under another address. If it was not you, ignore "
    "this message: nothing has changed.\n";

}  // namespace

MessageTemplates::MessageTemplates(const std::string& dir, std::string default_locale)
    : default_locale_(lower(std::move(default_locale))), serial_(next_serial++) {
  std::string problems;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (!it->is_directory()) continue;
    Set set;
    const std::string locale = lower(it->path().filename().string());
    bool complete = true;
    for (auto [file, target] :
         {std::pair{"email.subject", &set.subject}, std::pair{"email.txt", &set.text},
          std::pair{"email.html", &set.html}, std::pair{"sms.txt", &set.sms}}) {
      auto path = (it->path() / file).string();
      auto content = util::read_file(path);
      if (!content) {
        problems += "  " + path + ": missing\n";
        complete = false;
        continue;
      }
      mustache::mustache check(*content);
      if (!check.is_valid()) {
        problems += "  " + path + ": " + check.error_message() + "\n";
        complete = false;
        continue;
      }
      target->source = *content;
    }
    for (auto [file, target, fallback] :
         {std::tuple{"unknown.subject", &set.unknown_subject, kUnknownSubject},
          std::tuple{"unknown.txt", &set.unknown_text, kUnknownText}}) {
      auto path = (it->path() / file).string();
      target->source = util::read_file(path).value_or(fallback);
      mustache::mustache check(target->source);
      if (!check.is_valid()) {
        problems += "  " + path + ": " + check.error_message() + "\n";
        complete = false;
      }
    }
    for (auto* subject : {&set.subject.source, &set.unknown_subject.source}) {
      while (!subject->empty() && (subject->back() == '\n' || subject->back() == '\r'))
        subject->pop_back();
    }
    if (!complete) continue;
    for (auto* plain : {&set.subject, &set.text, &set.sms, &set.unknown_subject, &set.unknown_text})
      plain->plain = PlainTemplate::compile(plain->source, Escape::none);
    set.html.plain = PlainTemplate::compile(set.html.source, Escape::html);
    sets_[locale] = std::move(set);
  }
  if (ec) problems += "  " + dir + ": " + ec.message() + "\n";
  if (!sets_.count(default_locale_)) {
    problems +=
        "  " + dir + "/" + default_locale_ + ": no complete templates for the default locale\n";
  }
  if (!problems.empty()) throw std::runtime_error("message templates:\n" + problems);
}

std::string MessageTemplates::choose_locale(const std::vector<std::string>& preferred) const {
  for (const auto& tag : preferred) {
    std::string t = lower(tag);
    if (sets_.count(t)) return t;
    auto dash = t.find('-');
    if (dash != std::string::npos && sets_.count(t.substr(0, dash))) return t.substr(0, dash);
  }
  return default_locale_;
}

std::vector<std::string> MessageTemplates::locales() const {
  std::vector<std::string> out;
  for (const auto& [locale, set] : sets_) out.push_back(locale);
  return out;
}

std::string MessageTemplates::render_one(const Template& source, Escape escape,
                                         const MessageValues& values) const {
  if (source.plain) return source.plain->render(values);
  return parsed(serial_, source.source, escape).render(mustache_values(values));
}

RenderedMessage MessageTemplates::render(sdk::AddressKind kind, const MessageValues& values,
                                         const std::vector<std::string>& preferred_locales) const {
  RenderedMessage out;
  out.locale = choose_locale(preferred_locales);
  const Set& set = sets_.at(out.locale);
  if (kind == sdk::AddressKind::email) {
    // A header must stay one line whatever a value contains.
    out.subject = one_line(render_one(set.subject, Escape::none, values));
    out.text = render_one(set.text, Escape::none, values);
    out.html = render_one(set.html, Escape::html, values);
  } else {
    out.text = render_one(set.sms, Escape::none, values);
    while (!out.text.empty() && out.text.back() == '\n') out.text.pop_back();
  }
  return out;
}

RenderedMessage MessageTemplates::render_unknown(
    const MessageValues& values, const std::vector<std::string>& preferred_locales) const {
  RenderedMessage out;
  out.locale = choose_locale(preferred_locales);
  const Set& set = sets_.at(out.locale);
  out.subject = one_line(render_one(set.unknown_subject, Escape::none, values));
  out.text = render_one(set.unknown_text, Escape::none, values);
  return out;
}

std::vector<std::string> parse_accept_language(const std::string& header) {
  std::vector<std::pair<double, std::string>> weighted;
  std::size_t start = 0;
  int order = 0;
  while (start < header.size() && order < 16) {
    auto end = header.find(',', start);
    std::string item =
        header.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? header.size() : end + 1;
    auto semi = item.find(';');
    std::string tag = item.substr(0, semi);
    tag.erase(std::remove(tag.begin(), tag.end(), ' '), tag.end());
    double q = 1.0;
    if (semi != std::string::npos) {
      auto qpos = item.find("q=", semi);
      if (qpos != std::string::npos) {
        try {
          q = std::stod(item.substr(qpos + 2));
        } catch (...) {
          q = 0;
        }
      }
    }
    bool plausible = !tag.empty() && tag.size() <= 35 && tag != "*" &&
                     std::all_of(tag.begin(), tag.end(),
                                 [](unsigned char c) { return std::isalnum(c) || c == '-'; });
    if (plausible && q > 0) weighted.emplace_back(q - order * 1e-6, tag);
    ++order;
  }
  std::stable_sort(weighted.begin(), weighted.end(),
                   [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [q, tag] : weighted) out.push_back(tag);
  return out;
}

}  // namespace linkgate::flow
