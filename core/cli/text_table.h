#pragma once
// Columns for a terminal: each as wide as its widest cell, two spaces apart.

#include <ostream>
#include <string>
#include <vector>

namespace linkgate::cli {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  /// One row, as many cells as the header.
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace linkgate::cli
