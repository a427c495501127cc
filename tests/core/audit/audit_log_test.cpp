#include "audit/audit_log.h"

#include <Poco/JSON/Parser.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "host/request_scope.h"
#include "support/temp_dir.h"

namespace linkgate::audit {
namespace {

TEST(AuditLog, AnEventNamesTheRequestItHappenedIn) {
  auto line = [](const AuditEvent& e) { return AuditLog::format(e, 0); };
  EXPECT_EQ(line({"link_issued", "", "", "", "", "", ""}).find("request_id"), std::string::npos);
  testing::TempDir dir;
  {
    AuditLog log(dir.file("audit.log"));
    host::RequestScope scope("req-9");
    log.record({"link_issued", "", "203.0.113.7", "", "", "", ""}, 0);
  }
  std::ifstream in(dir.file("audit.log"));
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(
      Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>(
          "request_id"),
      "req-9")
      << text;
}

TEST(AuditLog, OneJsonLinePerEventWithOnlyTheFieldsGiven) {
  testing::TempDir dir;
  {
    AuditLog log(dir.file("audit.log"));
    log.record({"link_issued", "ab12", "203.0.113.7", "flow-1", "", "", ""}, 1'800'000'000'123);
    log.record({"rejected", "ab12", "203.0.113.7", "flow-1", "used", "", ""}, 1'800'000'001'000);
  }
  std::ifstream in(dir.file("audit.log"));
  std::string line;
  std::vector<Poco::JSON::Object::Ptr> lines;
  while (std::getline(in, line)) {
    lines.push_back(Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>());
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]->getValue<std::string>("event"), "link_issued");
  EXPECT_EQ(lines[0]->getValue<std::string>("time"), "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(lines[0]->getValue<std::string>("client"), "203.0.113.7");
  EXPECT_FALSE(lines[0]->has("reason"));
  EXPECT_EQ(lines[1]->getValue<std::string>("reason"), "used");
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("audit.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST(AuditLog, HostileValuesStayInsideTheirJsonString) {
  auto line = AuditLog::format({"rejected", "", "1.2.3.4\"\n,\"admin\":true", "", "", "", ""}, 0);
  auto o = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
  EXPECT_FALSE(o->has("admin"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(AuditLog, BytesThatAreNotUtf8StillMakeValidJson) {
  auto line = AuditLog::format({"rejected", "", "\xff\xfe<script>\x01", "", "", "", ""}, 0);
  EXPECT_EQ(line.find('\xff'), std::string::npos) << line;
  EXPECT_NE(line.find("\\u0001"), std::string::npos) << line;
  auto o = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(o->getValue<std::string>("client"), "\xEF\xBF\xBD\xEF\xBF\xBD<script>\x01");
}

// The writer thread takes whatever is queued in one write: concurrent requests share writes,
// no line is split or lost, and each record() returns with its line already in the file.
TEST(AuditLog, ConcurrentWritersShareWritesAndNeverInterleaveLines) {
  testing::TempDir dir;
  std::uint64_t writes = 0;
  {
    AuditLog log(dir.file("audit.log"));
    std::vector<std::thread> threads;
    std::atomic<int> missing{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&log, &dir, &missing, t] {
        for (int i = 0; i < 200; ++i) {
          log.record({"link_issued", std::string(100, 'a' + t), "", "", "", "", ""}, 0);
          if (t == 0 && i % 50 == 0) {
            // Already written when record() returns: the file holds at least i + 1 of ours.
            std::ifstream in(dir.file("audit.log"));
            std::string line;
            int ours = 0;
            while (std::getline(in, line))
              ours += line.find(std::string(100, 'a')) != std::string::npos;
            if (ours < i + 1) ++missing;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    writes = log.writes();
    EXPECT_EQ(missing.load(), 0);
  }
  EXPECT_LT(writes, 1600u) << "the lines of concurrent requests go out together";
  std::ifstream in(dir.file("audit.log"));
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    ++count;
    ASSERT_NO_THROW(Poco::JSON::Parser().parse(line)) << line;
  }
  EXPECT_EQ(count, 1600);
}

TEST(AuditLog, AnUnwritablePathIsAClearError) {
  testing::TempDir dir;
  std::ofstream(dir.file("a-file")) << "not a folder";
  try {
    AuditLog log(dir.file("a-file") + "/audit.log");  // even root cannot make this
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("log.audit_file"), std::string::npos);
  }
}

}  // namespace
}  // namespace linkgate::audit
