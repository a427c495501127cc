#include "sql/sqlite_process.h"

#include <sqlite3.h>

#include <exception>

#include "sql/wal_write_batching.h"

namespace linkgate::sql {

bool tune_sqlite_for_this_process() {
  // sqlite3_config() is refused (SQLITE_MISUSE) once SQLite is initialised; shutting it down
  // first is allowed only while no connection is open, which is why this runs before any.
  if (sqlite3_shutdown() != SQLITE_OK) return false;
  const bool tuned = sqlite3_config(SQLITE_CONFIG_MULTITHREAD) == SQLITE_OK &&
                     sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  if (sqlite3_initialize() != SQLITE_OK) return false;
  // After the restart, which makes SQLite's own file system the default again.
  try {
    use_batched_wal_writes();
  } catch (const std::exception&) {
    return false;
  }
  return tuned;
}

}  // namespace linkgate::sql
