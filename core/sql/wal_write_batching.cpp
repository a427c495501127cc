#include "sql/wal_write_batching.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace linkgate::sql {
namespace {

constexpr int kFrameHeader = 24;  // SQLite's WAL_FRAME_HDRSIZE
constexpr int kLogHeader = 32;    // SQLite's WAL_HDRSIZE: written at offset 0 as the log starts
constexpr int kWalWriteLock = 0;  // SQLite's WAL_WRITE_LOCK, a slot of the shared index
constexpr std::size_t kGatherAtMost = 1u << 20;  // a larger transaction is written as it goes
// SQLite's own file system writes at most 128 KiB - 1 per call (it masks the length with
// 0x1ffff, and takes a write of 128 KiB as the disk being full).
constexpr std::size_t kWriteAtMost = 0x1f000;

std::atomic<unsigned long long> g_asked{0};
std::atomic<unsigned long long> g_issued{0};
std::atomic<unsigned long long> g_zeroed{0};

// What a stale log's tail is overwritten with, one write at a time.
char g_zeros[kWriteAtMost];

sqlite3_vfs* g_base = nullptr;  // SQLite's own default, which the shim wraps

// One open file. SQLite allocates szOsFile bytes for it and knows only `base`; the wrapped
// file of the base file system lives in the same allocation, after this.
struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool is_log;
  // A log file: the connection's database file, whose locks tell when a write transaction ends.
  // A database file: the log file of the same connection, while it is open.
  ShimFile* partner;
  const char* db_name;  // a database file: the name SQLite opened it by (the key below)
  // Frames appended but not yet written, starting at file offset `gathered_at`.
  std::string* gathered;
  sqlite3_int64 gathered_at;
  // After a commit frame's header: where its page will be written, and whether the header is
  // gathered with the frames before it (-1: no commit frame under way).
  sqlite3_int64 commit_page_at;
  bool commit_held;
  // A database file: the first page of its shared index while mapped, whose header says where
  // the log's last commit ends.
  volatile void* index_first_page;
  // A log file: the stale frames a restart leaves behind, zeroed on request (zero_stale_tail).
  std::int64_t generation;          // log headers this connection wrote (each starts the log)
  std::int64_t zero_after;          // zero once a generation past this starts; -1: not asked
  std::int64_t zeroing_generation;  // the pass under way began in this generation; -1: none
  // What the pass has left to zero: from the end of the last commit (rising as commits write
  // over the stale frames themselves) to the file's size when it began (falling as it zeroes).
  sqlite3_int64 zero_low;
  sqlite3_int64 zero_high;
  std::int64_t zeroed_through;  // no frame of a generation up to this is left; -1: none
  std::uint64_t passes;         // passes finished
};

// Database files by the name pointer SQLite opened them with: the log file of a connection is
// named by the same pager, and sqlite3_filename_database() of its name gives that pointer back.
// The pointer, not the text: connections to the same file each have their own.
std::mutex g_open_mutex;
std::unordered_map<const char*, ShimFile*>& open_databases() {
  static std::unordered_map<const char*, ShimFile*> map;
  return map;
}

ShimFile* shim(sqlite3_file* f) {
  return reinterpret_cast<ShimFile*>(f);
}

int flush(ShimFile* f) {
  f->commit_held = false;
  if (f->gathered == nullptr || f->gathered->empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (std::size_t done = 0; rc == SQLITE_OK && done < f->gathered->size(); done += kWriteAtMost) {
    const std::size_t size = std::min(kWriteAtMost, f->gathered->size() - done);
    rc = f->real->pMethods->xWrite(f->real, f->gathered->data() + done, static_cast<int>(size),
                                   f->gathered_at + static_cast<sqlite3_int64>(done));
    g_issued.fetch_add(1, std::memory_order_relaxed);
  }
  // The buffer is kept for the next commit; what it held (page images, message bodies among
  // them) is not left lying in it until then.
  std::memset(f->gathered->data(), 0, f->gathered->size());
  f->gathered->clear();
  return rc;
}

std::uint32_t big_endian_32(const void* p) {
  const auto* b = static_cast<const unsigned char*>(p);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

// Appends to what is gathered; false when memory for it ran out (nothing is appended then).
bool gather(ShimFile* f, const void* data, int amount) noexcept {
  try {
    f->gathered->append(static_cast<const char*>(data), static_cast<std::size_t>(amount));
    return true;
  } catch (...) {
    return false;
  }
}

int write_through(ShimFile* f, const void* data, int amount, sqlite3_int64 offset) {
  g_issued.fetch_add(1, std::memory_order_relaxed);
  return f->real->pMethods->xWrite(f->real, data, amount, offset);
}

int shim_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  ShimFile* f = shim(file);
  if (!f->is_log || f->gathered == nullptr) {
    return f->real->pMethods->xWrite(f->real, data, amount, offset);
  }
  g_asked.fetch_add(1, std::memory_order_relaxed);
  if (offset == 0 && amount == kLogHeader) ++f->generation;
  if (f->commit_page_at >= 0) {
    const bool its_page = offset == f->commit_page_at;
    const bool held = f->commit_held;
    f->commit_page_at = -1;
    f->commit_held = false;
    if (its_page && held) {
      // The commit frame is whole: the transaction goes to the file in one write.
      if (gather(f, data, amount)) return flush(f);
      if (int rc = flush(f); rc != SQLITE_OK) return rc;
      return write_through(f, data, amount, offset);
    }
    if (its_page) return write_through(f, data, amount, offset);
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  const bool follows = !f->gathered->empty() &&
                       offset == f->gathered_at + static_cast<sqlite3_int64>(f->gathered->size());
  // A frame header whose second word is nonzero is a commit frame's. Held only right after the
  // frames before it: SQLite then writes the frame's page next, and with it the transaction is
  // written. A commit header anywhere else — the first frame of a transaction, or SQLite
  // rewriting headers in place with new checksums once the frames are out, where no page
  // follows — is written at once, and so is the page after it: a committed transaction is
  // never held back.
  const bool commit_header =
      amount == kFrameHeader && big_endian_32(static_cast<const char*>(data) + 4) != 0;
  if (commit_header) {
    f->commit_page_at = offset + kFrameHeader;
    if (follows && gather(f, data, amount)) {
      f->commit_held = true;
      return SQLITE_OK;
    }
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
    return write_through(f, data, amount, offset);
  }
  if ((!follows && !f->gathered->empty()) || f->gathered->size() + amount > kGatherAtMost) {
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  if (f->gathered->empty()) f->gathered_at = offset;
  if (gather(f, data, amount)) return SQLITE_OK;
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return write_through(f, data, amount, offset);
}

// Everything below writes what was gathered before the file is used any other way (a read,
// only when it reads some of it).

int shim_close(sqlite3_file* file) {
  ShimFile* f = shim(file);
  int rc = flush(f);
  if (f->is_log) {
    if (f->partner != nullptr) f->partner->partner = nullptr;
  } else if (f->db_name != nullptr) {
    std::lock_guard lock(g_open_mutex);
    open_databases().erase(f->db_name);
    if (f->partner != nullptr) f->partner->partner = nullptr;
  }
  delete f->gathered;
  f->gathered = nullptr;
  const int closed = f->real->pMethods->xClose(f->real);
  return rc != SQLITE_OK ? rc : closed;
}

int shim_read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  ShimFile* f = shim(file);
  // Frames of earlier transactions are read often mid-transaction (a page the cache let go):
  // only a read of what is gathered needs it written first.
  const bool overlaps = f->gathered != nullptr && !f->gathered->empty() &&
                        offset + amount > f->gathered_at &&
                        offset < f->gathered_at + static_cast<sqlite3_int64>(f->gathered->size());
  if (int rc = overlaps ? flush(f) : SQLITE_OK; rc != SQLITE_OK) return rc;
  return f->real->pMethods->xRead(f->real, data, amount, offset);
}

int shim_truncate(sqlite3_file* file, sqlite3_int64 size) {
  ShimFile* f = shim(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  const int rc = f->real->pMethods->xTruncate(f->real, size);
  if (rc == SQLITE_OK && f->is_log && size == 0) {
    // Nothing of any generation is left in the file.
    f->zeroed_through = std::max(f->zeroed_through, f->generation);
    f->zeroing_generation = -1;
  }
  return rc;
}

int shim_sync(sqlite3_file* file, int flags) {
  ShimFile* f = shim(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xSync(f->real, flags);
}

int shim_file_size(sqlite3_file* file, sqlite3_int64* size) {
  ShimFile* f = shim(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}

// Locks are taken on database files, where nothing is gathered.
int shim_lock(sqlite3_file* file, int level) {
  ShimFile* f = shim(file);
  return f->real->pMethods->xLock(f->real, level);
}

int shim_unlock(sqlite3_file* file, int level) {
  ShimFile* f = shim(file);
  return f->real->pMethods->xUnlock(f->real, level);
}

int shim_check_reserved_lock(sqlite3_file* file, int* out) {
  ShimFile* f = shim(file);
  return f->real->pMethods->xCheckReservedLock(f->real, out);
}

int shim_file_control(sqlite3_file* file, int op, void* arg) {
  ShimFile* f = shim(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

int shim_sector_size(sqlite3_file* file) {
  ShimFile* f = shim(file);
  return f->real->pMethods->xSectorSize(f->real);
}

int shim_device_characteristics(sqlite3_file* file) {
  ShimFile* f = shim(file);
  return f->real->pMethods->xDeviceCharacteristics(f->real);
}

int shim_shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  ShimFile* f = shim(file);
  const int rc = f->real->pMethods->xShmMap(f->real, page, size, extend, out);
  if (page == 0) f->index_first_page = rc == SQLITE_OK ? *out : nullptr;
  return rc;
}

// Where the log's last commit ends, from the shared index's header (SQLite's file format,
// "WAL-index format": a 48-byte header, szPage at byte 14, mxFrame at byte 16, in the machine's
// byte order); -1 when the index is not mapped or not in that format.
sqlite3_int64 committed_log_end(const ShimFile* db) {
  if (db->index_first_page == nullptr) return -1;
  unsigned char header[20];
  const auto* from = static_cast<const volatile unsigned char*>(db->index_first_page);
  for (std::size_t i = 0; i < sizeof header; ++i) header[i] = from[i];
  std::uint32_t version = 0, frames = 0;
  std::uint16_t page_field = 0;
  std::memcpy(&version, header, 4);
  std::memcpy(&page_field, header + 14, 2);
  std::memcpy(&frames, header + 16, 4);
  constexpr std::uint32_t kIndexVersion = 3007000;  // SQLite's WALINDEX_MAX_VERSION
  const bool initialised = header[12] != 0;
  const sqlite3_int64 page = (page_field & 0xfe00) + ((page_field & 0x0001) << 16);
  if (version != kIndexVersion || !initialised || page < 512) return -1;
  return kLogHeader + static_cast<sqlite3_int64>(frames) * (kFrameHeader + page);
}

// Called as this connection lets go of the log's write lock, so while it still holds it: no
// other connection, of this process or another, writes the log meanwhile. Past the end of the
// last commit nothing is live — frames of a rolled-back transaction, or of generations before
// the log last started over (SQLite starts it over only once every frame is in the database
// file and no reader uses any). Once asked, and once the log has started over since, each
// release zeroes the highest kWriteAtMost bytes still stale, below the file's size when the pass
// began, until they meet the last commit's end: a commit costs a write into the page cache,
// where a truncation stalled the writer for milliseconds, and the erased data leaves the file's
// blocks instead of staying in freed ones. Below the tail are the new generation's frames,
// written over the old.
void zero_stale_tail(ShimFile* db, ShimFile* log) {
  const bool asked = log->zero_after >= 0 && log->generation > log->zero_after;
  if (log->zeroing_generation < 0 && !asked) return;
  const sqlite3_int64 end = committed_log_end(db);
  sqlite3_int64 size = 0;
  if (end < 0 || log->real->pMethods->xFileSize(log->real, &size) != SQLITE_OK) return;
  if (log->zeroing_generation < 0) {
    log->zeroing_generation = log->generation;
    log->zero_after = -1;
    log->zero_low = kLogHeader;
    log->zero_high = size;
  }
  log->zero_low = std::max(log->zero_low, end);
  log->zero_high = std::min(log->zero_high, size);
  if (log->zero_low < log->zero_high) {
    // From the top down: under load the commits coming up from below write over much of the
    // stale tail themselves before the two meet.
    const auto amount =
        static_cast<int>(std::min<sqlite3_int64>(kWriteAtMost, log->zero_high - log->zero_low));
    const sqlite3_int64 at = log->zero_high - amount;
    if (log->real->pMethods->xWrite(log->real, g_zeros, amount, at) != SQLITE_OK) {
      return;  // tried again at the next release
    }
    g_zeroed.fetch_add(static_cast<unsigned long long>(amount), std::memory_order_relaxed);
    log->zero_high = at;
  }
  if (log->zero_low >= log->zero_high) {
    log->zeroed_through = std::max(log->zeroed_through, log->zeroing_generation - 1);
    log->zeroing_generation = -1;
    ++log->passes;
  }
}

int shim_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  ShimFile* f = shim(file);
  // The write lock let go: the transaction ended. A commit's frames were written before it
  // returned, so what is still gathered is a rolled-back transaction's (pages it spilled); it
  // goes to the file now, while this connection holds the lock, never later over another
  // writer's frames. If that write fails nothing is lost, and the lock is let go all the same.
  if (offset == kWalWriteLock && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE) &&
      f->partner != nullptr) {
    (void)flush(f->partner);
    zero_stale_tail(f, f->partner);
  }
  return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

void shim_shm_barrier(sqlite3_file* file) {
  ShimFile* f = shim(file);
  f->real->pMethods->xShmBarrier(f->real);
}

int shim_shm_unmap(sqlite3_file* file, int delete_flag) {
  ShimFile* f = shim(file);
  f->index_first_page = nullptr;
  return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

int shim_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  ShimFile* f = shim(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFetch(f->real, offset, amount, out);
}

int shim_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  ShimFile* f = shim(file);
  return f->real->pMethods->xUnfetch(f->real, offset, page);
}

// One table per version of the methods the wrapped file has, so that SQLite never calls one
// the wrapped file lacks.
const sqlite3_io_methods* methods_of_version(int version) {
  static const auto make = [](int v) {
    sqlite3_io_methods m{};
    m.iVersion = v;
    m.xClose = shim_close;
    m.xRead = shim_read;
    m.xWrite = shim_write;
    m.xTruncate = shim_truncate;
    m.xSync = shim_sync;
    m.xFileSize = shim_file_size;
    m.xLock = shim_lock;
    m.xUnlock = shim_unlock;
    m.xCheckReservedLock = shim_check_reserved_lock;
    m.xFileControl = shim_file_control;
    m.xSectorSize = shim_sector_size;
    m.xDeviceCharacteristics = shim_device_characteristics;
    if (v >= 2) {
      m.xShmMap = shim_shm_map;
      m.xShmLock = shim_shm_lock;
      m.xShmBarrier = shim_shm_barrier;
      m.xShmUnmap = shim_shm_unmap;
    }
    if (v >= 3) {
      m.xFetch = shim_fetch;
      m.xUnfetch = shim_unfetch;
    }
    return m;
  };
  static const sqlite3_io_methods tables[3] = {make(1), make(2), make(3)};
  return &tables[std::max(1, std::min(version, 3)) - 1];
}

constexpr int kShimSize = (sizeof(ShimFile) + 15) / 16 * 16;

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  ShimFile* f = shim(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kShimSize);
  const int rc = g_base->xOpen(g_base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite closes a file whose open failed only if its methods are set; ours are not, so the
    // wrapped file's are closed here.
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    return rc;
  }
  if (f->real->pMethods == nullptr) return SQLITE_CANTOPEN;
  f->is_log = (flags & SQLITE_OPEN_WAL) != 0;
  f->partner = nullptr;
  f->db_name = nullptr;
  f->gathered = nullptr;
  f->gathered_at = 0;
  f->commit_page_at = -1;
  f->commit_held = false;
  f->index_first_page = nullptr;
  f->generation = 0;
  f->zero_after = -1;
  f->zeroing_generation = -1;
  f->zero_low = 0;
  f->zero_high = 0;
  f->zeroed_through = -1;
  f->passes = 0;
  if ((flags & SQLITE_OPEN_MAIN_DB) != 0 && name != nullptr) {
    std::lock_guard lock(g_open_mutex);
    try {
      open_databases()[name] = f;
      f->db_name = name;
    } catch (...) {
      // Out of memory: this connection's log is written straight through (below).
    }
  } else if (f->is_log && name != nullptr) {
    std::lock_guard lock(g_open_mutex);
    auto found = open_databases().find(sqlite3_filename_database(name));
    // A log whose connection's database file is not known here (opened before the shim, or by
    // another file system) is written straight through: without its lock it cannot be batched
    // safely.
    if (found != open_databases().end()) {
      f->partner = found->second;
      found->second->partner = f;
      f->gathered = new (std::nothrow) std::string;
    }
  }
  f->base.pMethods = methods_of_version(f->real->pMethods->iVersion);
  return SQLITE_OK;
}

// The rest of the file system is the base one's.
int shim_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int shim_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int shim_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return g_base->xFullPathname(g_base, name, size, out);
}
void* shim_dl_open(sqlite3_vfs*, const char* name) {
  return g_base->xDlOpen(g_base, name);
}
void shim_dl_error(sqlite3_vfs*, int size, char* out) {
  g_base->xDlError(g_base, size, out);
}
void (*shim_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_base->xDlSym(g_base, handle, symbol);
}
void shim_dl_close(sqlite3_vfs*, void* handle) {
  g_base->xDlClose(g_base, handle);
}
int shim_randomness(sqlite3_vfs*, int size, char* out) {
  return g_base->xRandomness(g_base, size, out);
}
int shim_sleep(sqlite3_vfs*, int microseconds) {
  return g_base->xSleep(g_base, microseconds);
}
int shim_current_time(sqlite3_vfs*, double* out) {
  return g_base->xCurrentTime(g_base, out);
}
int shim_get_last_error(sqlite3_vfs*, int size, char* out) {
  return g_base->xGetLastError ? g_base->xGetLastError(g_base, size, out) : 0;
}
int shim_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}
int shim_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr call) {
  return g_base->xSetSystemCall(g_base, name, call);
}
sqlite3_syscall_ptr shim_get_system_call(sqlite3_vfs*, const char* name) {
  return g_base->xGetSystemCall(g_base, name);
}
const char* shim_next_system_call(sqlite3_vfs*, const char* name) {
  return g_base->xNextSystemCall(g_base, name);
}

sqlite3_vfs g_shim{};

}  // namespace

void use_batched_wal_writes() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sqlite3_initialize() != SQLITE_OK) throw std::runtime_error("sqlite3_initialize failed");
    g_base = sqlite3_vfs_find(nullptr);
    if (g_base == nullptr) throw std::runtime_error("SQLite has no default file system");
    g_shim.iVersion = std::min(g_base->iVersion, 3);
    g_shim.szOsFile = kShimSize + g_base->szOsFile;
    g_shim.mxPathname = g_base->mxPathname;
    g_shim.zName = "linkgate-wal-batching";
    g_shim.xOpen = shim_open;
    g_shim.xDelete = shim_delete;
    g_shim.xAccess = shim_access;
    g_shim.xFullPathname = shim_full_pathname;
    g_shim.xDlOpen = shim_dl_open;
    g_shim.xDlError = shim_dl_error;
    g_shim.xDlSym = shim_dl_sym;
    g_shim.xDlClose = shim_dl_close;
    g_shim.xRandomness = shim_randomness;
    g_shim.xSleep = shim_sleep;
    g_shim.xCurrentTime = shim_current_time;
    g_shim.xGetLastError = shim_get_last_error;
    if (g_shim.iVersion >= 2) g_shim.xCurrentTimeInt64 = shim_current_time_int64;
    if (g_shim.iVersion >= 3) {
      g_shim.xSetSystemCall = shim_set_system_call;
      g_shim.xGetSystemCall = shim_get_system_call;
      g_shim.xNextSystemCall = shim_next_system_call;
    }
  });
  // Again whenever SQLite's own became the default since (sqlite3_shutdown and
  // sqlite3_initialize, as tune_sqlite_for_this_process does, make it the default again).
  if (sqlite3_initialize() != SQLITE_OK) throw std::runtime_error("sqlite3_initialize failed");
  if (sqlite3_vfs_find(nullptr) != &g_shim && sqlite3_vfs_register(&g_shim, 1) != SQLITE_OK) {
    throw std::runtime_error("SQLite refused the log-batching file system");
  }
}

void batch_wal_writes_by_default(bool on) {
  use_batched_wal_writes();
  if (sqlite3_vfs_register(on ? &g_shim : g_base, 1) != SQLITE_OK) {
    throw std::runtime_error("SQLite refused to change its default file system");
  }
}

WalWriteCounts wal_write_counts() {
  return {g_asked.load(), g_issued.load(), g_zeroed.load()};
}

namespace {

// The log file of @p db's main database when the shim writes it with its connection's locks
// known (only then is its stale tail zeroed); null otherwise, or while no log is open.
ShimFile* shim_log_of(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr) {
    return nullptr;
  }
  bool ours = false;
  for (int version = 1; version <= 3; ++version) {
    ours = ours || file->pMethods == methods_of_version(version);
  }
  if (!ours) return nullptr;
  ShimFile* log = shim(file);
  return log->is_log && log->partner != nullptr ? log : nullptr;
}

}  // namespace

std::optional<StaleLogFrames> stale_log_frames(sqlite3* db) {
  const ShimFile* log = shim_log_of(db);
  if (log == nullptr) return std::nullopt;
  return StaleLogFrames{log->generation, log->zeroed_through, log->passes,
                        log->zeroing_generation >= 0};
}

bool zero_stale_log_frames_after(sqlite3* db, std::int64_t generation) {
  ShimFile* log = shim_log_of(db);
  if (log == nullptr) return false;
  log->zero_after = std::max(log->zero_after, generation);
  return true;
}

}  // namespace linkgate::sql
