// What a page of new file data costs this machine, without linkgate: writes <files> files of
// <bytes> each into <folder> (open, write, close — as the development outbox channel writes a
// message, less its rename and shared sync), and prints, for each block of files, the rate, the
// microseconds per file, and how much memory the kernel had free. On a VM whose freed memory goes
// back to the host (free page reporting: /sys/module/page_reporting), a page the guest has not
// recycled costs a fault in the host at its first write; this shows where that begins and what it
// costs (docs/performance.md, "The minute's step: fresh memory"). The files are left in <folder>.
//   build/fresh_pages /dev/shm/pages 1500000 2833 100000

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

// Line by line: some lines of /proc/meminfo have no unit.
long meminfo_kib(const std::string& field) {
  std::ifstream in("/proc/meminfo");
  const std::string prefix = field + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return std::atol(line.c_str() + prefix.size());
  }
  return -1;
}

long reported_kib() {
  std::ifstream in("/sys/module/page_reporting/parameters/reported_kib");
  long value = -1;
  in >> value;
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <folder> <files> <bytes> <files per line>\n", argv[0]);
    return 2;
  }
  const std::string folder = argv[1];
  const long files = std::atol(argv[2]);
  const long bytes = std::atol(argv[3]);
  const long block = std::atol(argv[4]);
  if (files <= 0 || bytes <= 0 || block <= 0) return 2;
  const std::string content(static_cast<std::size_t>(bytes), 'x');
  std::printf("free %ld MiB, reported to the host so far %ld MiB\n", meminfo_kib("MemFree") / 1024,
              reported_kib() / 1024);
  auto began = std::chrono::steady_clock::now();
  for (long i = 0; i < files; ++i) {
    const std::string path = folder + "/" + std::to_string(i) + "-message.json";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, content.data(), content.size()) != bytes) {
      std::perror(path.c_str());
      return 1;
    }
    ::close(fd);
    if ((i + 1) % block != 0) continue;
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - began).count();
    std::printf("%9ld files: %8.0f files/s, %5.1f µs each, free %ld MiB\n", i + 1, block / seconds,
                seconds * 1e6 / block, meminfo_kib("MemFree") / 1024);
    std::fflush(stdout);
    began = now;
  }
  return 0;
}
