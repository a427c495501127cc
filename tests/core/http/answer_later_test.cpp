// A handler's side of answering later: nothing can be taken outside a front end's scope, the
// answer is taken once, given back when nothing will be posted, and the steps added meanwhile are
// the connection's.
#include "http/answer_later.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace linkgate::http {
namespace {

struct Posts {
  std::vector<std::string> made;
  static PostAnswer make(void* context) {
    auto* self = static_cast<Posts*>(context);
    return [self](MakeAnswer make) { self->made.push_back(make().body); };
  }
};

TEST(AnswerLater, OutsideAFrontEndNothingCanBeTaken) {
  EXPECT_FALSE(AnswerLater::possible());
  EXPECT_FALSE(AnswerLater::taken());
  EXPECT_THROW(AnswerLater::take(), std::logic_error);
  EXPECT_THROW(AnswerLater::then([](Response&) {}), std::logic_error);
  AnswerLater::give_back();  // harmless
}

TEST(AnswerLater, TheAnswerIsTakenOnceAndReachesTheConnection) {
  Posts posts;
  std::vector<AnswerStep> steps;
  AnswerLater::Scope scope(&Posts::make, &posts, steps);
  ASSERT_TRUE(AnswerLater::possible());
  EXPECT_THROW(AnswerLater::then([](Response&) {}), std::logic_error) << "nothing taken yet";
  auto post = AnswerLater::take();
  EXPECT_TRUE(scope.taken());
  EXPECT_FALSE(AnswerLater::possible()) << "taken once";
  EXPECT_THROW(AnswerLater::take(), std::logic_error);
  AnswerLater::then([](Response& r) { r.set("X-Step", "1"); });
  EXPECT_EQ(steps.size(), 1u) << "the steps are the connection's";
  post([] {
    Response r;
    r.body = "made";
    return r;
  });
  EXPECT_EQ(posts.made, std::vector<std::string>{"made"});
}

TEST(AnswerLater, GivenBackTheReturnedResponseIsTheAnswerAndTheStepsAreDropped) {
  Posts posts;
  std::vector<AnswerStep> steps;
  AnswerLater::Scope scope(&Posts::make, &posts, steps);
  auto post = AnswerLater::take();
  AnswerLater::then([](Response&) {});
  AnswerLater::give_back();
  EXPECT_FALSE(scope.taken());
  EXPECT_TRUE(steps.empty());
  EXPECT_TRUE(AnswerLater::possible());
}

TEST(AnswerLater, ScopesNestAndTheInnermostIsTheOneTaken) {
  Posts outer_posts, inner_posts;
  std::vector<AnswerStep> outer_steps, inner_steps;
  AnswerLater::Scope outer(&Posts::make, &outer_posts, outer_steps);
  {
    AnswerLater::Scope inner(&Posts::make, &inner_posts, inner_steps);
    AnswerLater::take()([] { return Response{}; });
    EXPECT_TRUE(inner.taken());
    EXPECT_FALSE(outer.taken());
  }
  EXPECT_EQ(inner_posts.made.size(), 1u);
  EXPECT_TRUE(outer_posts.made.empty());
  EXPECT_TRUE(AnswerLater::possible()) << "the outer scope is open again, untaken";
}

}  // namespace
}  // namespace linkgate::http
