#include "http/user_agent_family.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace linkgate::http {
namespace {

bool contains_ignoring_case(std::string_view text, std::string_view needle) {
  return std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

// First match wins: scanners and previewers before the browsers whose strings they copy, and
// the browsers that carry another's name (Edge and Opera say Chrome; Chrome says Safari) first.
constexpr std::array<std::pair<std::string_view, std::string_view>, 32> kFamilies{{
    {"BingPreview", "bing_preview"},
    {"Microsoft Office", "microsoft_office"},
    {"ms-office", "microsoft_office"},
    {"MSOffice", "microsoft_office"},
    {"SafeLinks", "microsoft_safelinks"},
    {"Proofpoint", "proofpoint"},
    {"Mimecast", "mimecast"},
    {"Barracuda", "barracuda"},
    {"Google-Safety", "google_safety"},
    {"Googlebot", "googlebot"},
    {"urlscan", "urlscan"},
    {"Slackbot", "slack"},
    {"Slack-ImgProxy", "slack"},
    {"facebookexternalhit", "facebook"},
    {"Twitterbot", "twitter"},
    {"WhatsApp", "whatsapp"},
    {"TelegramBot", "telegram"},
    {"Discordbot", "discord"},
    {"SkypeUriPreview", "skype"},
    {"LinkedInBot", "linkedin"},
    {"curl/", "curl"},
    {"python-requests", "python"},
    {"Python-urllib", "python"},
    {"Go-http-client", "go"},
    {"Wget", "wget"},
    {"HeadlessChrome", "headless_chrome"},
    {"Edg/", "edge"},
    {"OPR/", "opera"},
    {"Firefox/", "firefox"},
    {"Chrome/", "chrome"},
    {"CriOS/", "chrome"},
    {"Safari/", "safari"},
}};

}  // namespace

std::string user_agent_family(std::string_view user_agent) {
  if (user_agent.empty()) return "none";
  for (const auto& [needle, family] : kFamilies) {
    if (contains_ignoring_case(user_agent, needle)) return std::string(family);
  }
  for (std::string_view robot : {"bot", "crawl", "spider", "scan", "preview"}) {
    if (contains_ignoring_case(user_agent, robot)) return "bot";
  }
  return "other";
}

}  // namespace linkgate::http
