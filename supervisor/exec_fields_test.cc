#include "supervisor/exec_fields.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

namespace shoal::supervisor {
namespace {

bool CloseOnExec(int fd) { return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

TEST(ExecFieldsTest, NumbersAndFdsCrossInOneVariableAndAreOwnedOnTheOtherSide) {
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  ExecFields fields;
  fields.Add("index", 7);
  fields.AddFd("lifeline", read_end.get());
  fields.AddFd("absent", -1);
  {
    ExecFields::Opened opened(fields, "SHOAL_TEST_FIELDS");
    EXPECT_FALSE(CloseOnExec(read_end.get())) << "open across the exec";
    ASSERT_NE(std::getenv("SHOAL_TEST_FIELDS"), nullptr);
    EXPECT_EQ(std::string(std::getenv("SHOAL_TEST_FIELDS")),
              "index=7,lifeline_fd=" + std::to_string(read_end.get()));
    // What the program exec'd in this place finds (here, this process):
    std::optional<InheritedFields> found = InheritedFields::Take("SHOAL_TEST_FIELDS");
    ASSERT_TRUE(found);
    EXPECT_EQ(std::getenv("SHOAL_TEST_FIELDS"), nullptr) << "taken out of the environment";
    EXPECT_EQ(found->Number("index"), 7);
    EXPECT_EQ(found->Number("missing", -5), -5);
    EXPECT_FALSE(found->TakeFd("absent").valid());
    UniqueFd lifeline = found->TakeFd("lifeline");
    EXPECT_EQ(lifeline.get(), read_end.get());
    EXPECT_TRUE(CloseOnExec(lifeline.get())) << "not into the next exec";
    lifeline.Release();  // the test's read_end owns it
  }
  EXPECT_TRUE(CloseOnExec(read_end.get())) << "put back when the exec did not happen";
  EXPECT_FALSE(InheritedFields::Take("SHOAL_TEST_FIELDS"));
}

TEST(ExecFieldsTest, FdsAreListedByPrefix) {
  setenv("SHOAL_TEST_FIELDS", "parked0_fd=100,parked0_protocol=2,parked1_fd=101,listen_fd=102", 1);
  std::optional<InheritedFields> found = InheritedFields::Take("SHOAL_TEST_FIELDS");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->FdNames("parked"), (std::vector<std::string>{"parked0", "parked1"}));
  EXPECT_EQ(found->Number("parked0_protocol"), 2);
  // (The fds are not this process's: give them up unclosed.)
  for (const char* name : {"parked0", "parked1", "listen"}) found->TakeFd(name).Release();
}

}  // namespace
}  // namespace shoal::supervisor
