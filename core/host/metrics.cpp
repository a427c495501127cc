#include "host/metrics.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace linkgate::host {

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"";
    for (char c : labels[i].second) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

MetricsRegistry::Series& MetricsRegistry::series(const std::string& name, const std::string& labels,
                                                 const char* type, const std::string& help) {
  {
    std::shared_lock lock(mutex_);
    auto f = families_.find(name);
    if (f != families_.end()) {
      auto s = f->second.series.find(labels);
      if (s != f->second.series.end()) return *s->second;  // series are never removed
    }
  }
  std::unique_lock lock(mutex_);
  auto& f = families_[name];
  if (f.type.empty()) f.type = type;
  if (f.help.empty()) f.help = help;
  auto& s = f.series[labels];
  if (!s) s = std::make_unique<Series>();
  return *s;
}

void MetricsRegistry::add(const std::string& name, const Labels& labels, double delta,
                          const std::string& help) {
  series(name, render_labels(labels), "counter", help).value.fetch_add(delta);
}

void MetricsRegistry::set(const std::string& name, const Labels& labels, double value,
                          const std::string& help) {
  series(name, render_labels(labels), "gauge", help).value.store(value);
}

void MetricsRegistry::observe(const std::string& name, const Labels& labels, double seconds,
                              const std::string& help) {
  auto& h = series(name, render_labels(labels), "histogram", help);
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) h.buckets[i].fetch_add(1);
  }
  h.sum.fetch_add(seconds);
  h.count.fetch_add(1);
}

double MetricsRegistry::value(const std::string& name, const Labels& labels) const {
  std::shared_lock lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto s = f->second.series.find(render_labels(labels));
  return s == f->second.series.end() ? 0 : s->second->value.load();
}

namespace {
// Adds `le="x"` to already-rendered labels.
std::string with_le(const std::string& labels, const std::string& le) {
  if (labels.empty()) return "{le=\"" + le + "\"}";
  return labels.substr(0, labels.size() - 1) + ",le=\"" + le + "\"}";
}
}  // namespace

std::string MetricsRegistry::render() const {
  std::ostringstream out;
  std::shared_lock lock(mutex_);
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out << "# HELP " << name << " " << f.help << "\n";
    out << "# TYPE " << name << " " << f.type << "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != "histogram") {
        out << name << labels << " " << s->value.load() << "\n";
        continue;
      }
      // Read while requests add to it: the count first, and no bucket above it, so what is
      // shown is always a valid histogram (cumulative buckets, +Inf = count).
      const std::uint64_t count = s->count.load();
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        std::ostringstream le;
        le << kBuckets[i];
        out << name << "_bucket" << with_le(labels, le.str()) << " "
            << std::min(count, s->buckets[i].load()) << "\n";
      }
      out << name << "_bucket" << with_le(labels, "+Inf") << " " << count << "\n";
      out << name << "_sum" << labels << " " << s->sum.load() << "\n";
      out << name << "_count" << labels << " " << count << "\n";
    }
  }
  return out.str();
}

void PluginMetrics::increment(std::string_view name,
                              const std::vector<std::pair<std::string, std::string>>& labels,
                              double delta) noexcept {
  try {
    std::string metric = "linkgate_plugin_";
    for (char c : name) metric += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    Labels all{{"plugin", plugin_}};
    all.insert(all.end(), labels.begin(), labels.end());
    registry_.add(metric, all, delta);
  } catch (...) {
  }
}

}  // namespace linkgate::host
