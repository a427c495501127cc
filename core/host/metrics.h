#pragma once
// Counters and latency histograms, rendered in the Prometheus text format for /metrics.
//
// Every request touches a few series, so no request takes the registry's lock exclusively once
// its series exist: they are found under a shared lock and updated with atomics; only a series
// seen for the first time takes the lock alone.

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "linkgate/sdk/host_services.h"
#include "util/latency_counts.h"

namespace linkgate::host {

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
  struct Series;

 public:
  /// One histogram series, found once (histogram()): observing through it takes no lock, renders
  /// no labels and looks nothing up. Copyable; valid as long as its registry.
  class Histogram {
   public:
    /// Records @p seconds. Thread-safe.
    void observe(double seconds) const noexcept;

   private:
    friend class MetricsRegistry;
    explicit Histogram(Series& series) : series_(&series) {}
    Series* series_;
  };

  /// One counter series, found once (counter()): adding through it takes no lock, renders no
  /// labels and looks nothing up. Copyable; valid as long as its registry.
  class Counter {
   public:
    /// Adds @p delta. Thread-safe.
    void add(double delta = 1) const noexcept;

   private:
    friend class MetricsRegistry;
    explicit Counter(Series& series) : series_(&series) {}
    Series* series_;
  };

  /// The latency histogram @p name{labels}, made the first time, for a caller that observes it
  /// often. Thread-safe; throws only std::bad_alloc.
  Histogram histogram(const std::string& name, const Labels& labels, const std::string& help = "");
  /// The counter @p name{labels}, made the first time (at 0, so it is rendered from then on), for
  /// a caller that adds to it often. Thread-safe; throws only std::bad_alloc.
  Counter counter(const std::string& name, const Labels& labels, const std::string& help = "");
  /// Adds @p delta to counter @p name{labels}. @p help is used the first time a name is seen.
  void add(const std::string& name, const Labels& labels, double delta = 1,
           const std::string& help = "");
  /// Sets gauge @p name{labels} to @p value.
  void set(const std::string& name, const Labels& labels, double value,
           const std::string& help = "");
  /// Records @p seconds in the latency histogram @p name{labels}.
  void observe(const std::string& name, const Labels& labels, double seconds,
               const std::string& help = "");
  /// The current value of a counter or gauge (0 when unknown), for tests.
  double value(const std::string& name, const Labels& labels) const;
  /// Everything, in the Prometheus text exposition format 0.0.4.
  std::string render() const;

  /// Metrics kept elsewhere (their owner counts them its own way, without the registry): under
  /// @p key, a function that renders them with render_histogram() and render_counter(), called
  /// on every render() after the registry's own metrics. A second call with the same key
  /// replaces the first; an empty function removes it. The function runs under the registry's
  /// lock: it must not call back into the registry. Its names must differ from the registry's.
  void set_source(const std::string& key, std::function<std::string()> render);

 private:
  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1,    2.5};
  struct Series {
    std::atomic<double> value{0};                                       // counter or gauge
    std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};  // cumulative
    std::atomic<std::uint64_t> count{0};
    std::atomic<double> sum{0};
  };
  struct Family {
    std::string type;  // counter | gauge | histogram
    std::string help;
    std::map<std::string, std::unique_ptr<Series>> series;  // rendered labels -> series
  };
  /// The series @p name{@p labels}, made (with its family) the first time.
  Series& series(const std::string& name, const std::string& labels, const char* type,
                 const std::string& help);

  mutable std::shared_mutex mutex_;
  std::map<std::string, Family> families_;
  std::map<std::string, std::function<std::string()>> sources_;
};

/// Handles (MetricsRegistry::Counter, ::Histogram, or a struct of them) found once by a small key
/// — a string literal's address, a status code — and kept in kSlots slots that later look-ups
/// scan without a lock; once the slots are taken, handles for further keys are made on every
/// look-up. A slot not yet filled holds the key's zero value, so that key is never kept: its
/// handle is made on every look-up. Thread-safe.
template <class Key, class Handle, std::size_t kSlots>
class HandleSlots {
 public:
  /// The handle kept for @p key, else @p make(key), kept if a slot is free. Throws what @p make
  /// throws.
  template <class Make>
  Handle find(Key key, Make&& make) {
    if (key == Key{}) return make(key);
    const std::size_t used = std::min(used_.load(std::memory_order_acquire), kSlots);
    for (std::size_t i = 0; i < used; ++i) {
      // A slot's key is published after its handle (release below), so a match is complete.
      if (keys_[i].load(std::memory_order_acquire) == key) return *handles_[i];
    }
    Handle handle = make(key);
    // Two threads missing the same key at once may take a slot each: both hold the same series.
    const std::size_t slot = used_.fetch_add(1, std::memory_order_acq_rel);
    if (slot < kSlots) {
      handles_[slot] = handle;
      keys_[slot].store(key, std::memory_order_release);
    }
    return handle;
  }

 private:
  std::array<std::atomic<Key>, kSlots> keys_{};
  std::array<std::optional<Handle>, kSlots> handles_{};
  std::atomic<std::size_t> used_{0};
};

/// Histograms of one family told apart by one label whose values are string literals (a plugin's
/// method names), each found in the registry once: later observations compare the literal's
/// address with at most 16 others and take no lock. Thread-safe.
class HistogramsByLiteral {
 public:
  /// @p fixed: the family's other labels, first in each series'. The registry must outlive this.
  HistogramsByLiteral(MetricsRegistry& registry, std::string name, std::string label, Labels fixed,
                      std::string help);
  /// Records @p seconds in the series whose @p label is @p value, which must be a string
  /// literal (or live as long as this). Thread-safe; never throws (an observation that cannot
  /// be recorded for want of memory is dropped).
  void observe(const char* value, double seconds) noexcept;

 private:
  MetricsRegistry& registry_;
  std::string name_;
  std::string label_;
  Labels fixed_;
  std::string help_;
  HandleSlots<const char*, MetricsRegistry::Histogram, 16> histograms_;
};

/// Renders labels as `{a="x",b="y"}` with values escaped; "" for none.
std::string render_labels(const Labels& labels);

/// One histogram (HELP, TYPE, buckets, sum, count) in the text exposition format, from counts
/// kept by util::LatencyCounts.
std::string render_histogram(const std::string& name, const std::string& help,
                             const util::LatencyCounts::Reading& reading);
/// One counter (HELP, TYPE, value) in the text exposition format.
std::string render_counter(const std::string& name, const std::string& help, double value);

/// The SDK Metrics a plugin receives: counters prefixed `linkgate_plugin_`, labelled with the
/// plugin's name.
class PluginMetrics final : public sdk::Metrics {
 public:
  PluginMetrics(MetricsRegistry& registry, std::string plugin)
      : registry_(registry), plugin_(std::move(plugin)) {}
  void increment(std::string_view name,
                 const std::vector<std::pair<std::string, std::string>>& labels,
                 double delta) noexcept override;

 private:
  MetricsRegistry& registry_;
  std::string plugin_;
};

}  // namespace linkgate::host
