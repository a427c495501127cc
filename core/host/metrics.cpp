#include "host/metrics.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
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
  histogram(name, labels, help).observe(seconds);
}

MetricsRegistry::Histogram MetricsRegistry::histogram(const std::string& name, const Labels& labels,
                                                      const std::string& help) {
  return Histogram(series(name, render_labels(labels), "histogram", help));
}

MetricsRegistry::Counter MetricsRegistry::counter(const std::string& name, const Labels& labels,
                                                  const std::string& help) {
  return Counter(series(name, render_labels(labels), "counter", help));
}

void MetricsRegistry::Counter::add(double delta) const noexcept {
  series_->value.fetch_add(delta);
}

void MetricsRegistry::Histogram::observe(double seconds) const noexcept {
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) series_->buckets[i].fetch_add(1);
  }
  series_->sum.fetch_add(seconds);
  series_->count.fetch_add(1);
}

HistogramsByLiteral::HistogramsByLiteral(MetricsRegistry& registry, std::string name,
                                         std::string label, Labels fixed, std::string help)
    : registry_(registry),
      name_(std::move(name)),
      label_(std::move(label)),
      fixed_(std::move(fixed)),
      help_(std::move(help)) {}

void HistogramsByLiteral::observe(const char* value, double seconds) noexcept {
  try {
    histograms_
        .find(value,
              [this](const char* v) {
                Labels labels = fixed_;
                labels.emplace_back(label_, v);
                return registry_.histogram(name_, labels, help_);
              })
        .observe(seconds);
  } catch (...) {
  }
}

double MetricsRegistry::value(const std::string& name, const Labels& labels) const {
  std::shared_lock lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto s = f->second.series.find(render_labels(labels));
  return s == f->second.series.end() ? 0 : s->second->value.load();
}

namespace {
// Counters pass a million in days; a stream's default six significant digits would show
// 1234567 as 1.23457e+06, and a rate over it would move in steps of ten.
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9.0e15) {
    return std::to_string(static_cast<long long>(v));
  }
  std::array<char, 400> text{};  // the longest fixed form of a double
  // The shortest digits that read back as v, never with an exponent: `le` values are matched as
  // text in queries, and 0.0005 has always been written so.
  const auto end =
      std::to_chars(text.data(), text.data() + text.size(), v, std::chars_format::fixed).ptr;
  return std::string(text.data(), end);
}

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
        out << name << labels << " " << number(s->value.load()) << "\n";
        continue;
      }
      // Read while requests add to it: the count first, and no bucket above it, so what is
      // shown is always a valid histogram (cumulative buckets, +Inf = count).
      const std::uint64_t count = s->count.load();
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        out << name << "_bucket" << with_le(labels, number(kBuckets[i])) << " "
            << std::min(count, s->buckets[i].load()) << "\n";
      }
      out << name << "_bucket" << with_le(labels, "+Inf") << " " << count << "\n";
      out << name << "_sum" << labels << " " << number(s->sum.load()) << "\n";
      out << name << "_count" << labels << " " << count << "\n";
    }
  }
  for (const auto& [key, source] : sources_) out << source();
  return out.str();
}

void MetricsRegistry::set_source(const std::string& key, std::function<std::string()> render) {
  std::unique_lock lock(mutex_);
  if (render) {
    sources_[key] = std::move(render);
  } else {
    sources_.erase(key);
  }
}

std::string render_histogram(const std::string& name, const std::string& help,
                             const util::LatencyCounts::Reading& reading) {
  std::ostringstream out;
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
  for (std::size_t i = 0; i < reading.at_most.size(); ++i) {
    out << name << "_bucket{le=\"" << number(util::LatencyCounts::kBounds[i]) << "\"} "
        << reading.at_most[i] << "\n";
  }
  out << name << "_bucket{le=\"+Inf\"} " << reading.count << "\n";
  out << name << "_sum " << number(reading.sum_seconds) << "\n";
  out << name << "_count " << reading.count << "\n";
  return out.str();
}

std::string render_counter(const std::string& name, const std::string& help, double value) {
  std::ostringstream out;
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
      << name << " " << number(value) << "\n";
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
