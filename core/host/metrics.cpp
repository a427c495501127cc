#include "host/metrics.h"

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

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const char* type,
                                                 const std::string& help) {
  auto& f = families_[name];
  if (f.type.empty()) f.type = type;
  if (f.help.empty()) f.help = help;
  return f;
}

void MetricsRegistry::add(const std::string& name, const Labels& labels, double delta,
                          const std::string& help) {
  std::lock_guard lock(mutex_);
  family(name, "counter", help).values[render_labels(labels)] += delta;
}

void MetricsRegistry::set(const std::string& name, const Labels& labels, double value,
                          const std::string& help) {
  std::lock_guard lock(mutex_);
  family(name, "gauge", help).values[render_labels(labels)] = value;
}

void MetricsRegistry::observe(const std::string& name, const Labels& labels, double seconds,
                              const std::string& help) {
  std::string key = render_labels(labels);
  std::lock_guard lock(mutex_);
  auto& h = family(name, "histogram", help).histograms[key];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

double MetricsRegistry::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto v = f->second.values.find(render_labels(labels));
  return v == f->second.values.end() ? 0 : v->second;
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
  std::lock_guard lock(mutex_);
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out << "# HELP " << name << " " << f.help << "\n";
    out << "# TYPE " << name << " " << f.type << "\n";
    for (const auto& [labels, v] : f.values) out << name << labels << " " << v << "\n";
    for (const auto& [labels, h] : f.histograms) {
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        std::ostringstream le;
        le << kBuckets[i];
        out << name << "_bucket" << with_le(labels, le.str()) << " " << h.buckets[i] << "\n";
      }
      out << name << "_bucket" << with_le(labels, "+Inf") << " " << h.count << "\n";
      out << name << "_sum" << labels << " " << h.sum << "\n";
      out << name << "_count" << labels << " " << h.count << "\n";
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
