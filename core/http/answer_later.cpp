#include "http/answer_later.h"

#include <stdexcept>

namespace linkgate::http {
namespace {

thread_local AnswerLater::Scope* innermost = nullptr;

}  // namespace

AnswerLater::Scope::Scope(MakePost make_post, void* context,
                          std::vector<AnswerStep>& steps) noexcept
    : make_post_(make_post), context_(context), steps_(steps), outer_(innermost) {
  innermost = this;
}

AnswerLater::Scope::~Scope() {
  innermost = outer_;
}

bool AnswerLater::possible() noexcept {
  return innermost != nullptr && !innermost->taken_;
}

PostAnswer AnswerLater::take() {
  if (!possible()) throw std::logic_error("this request cannot be answered later");
  PostAnswer post = innermost->make_post_(innermost->context_);
  innermost->taken_ = true;
  return post;
}

void AnswerLater::give_back() noexcept {
  if (innermost == nullptr) return;
  innermost->taken_ = false;
  innermost->steps_.clear();
}

bool AnswerLater::taken() noexcept {
  return innermost != nullptr && innermost->taken_;
}

void AnswerLater::then(AnswerStep step) {
  if (!taken()) throw std::logic_error("no answer was taken to be made later");
  innermost->steps_.push_back(std::move(step));
}

}  // namespace linkgate::http
