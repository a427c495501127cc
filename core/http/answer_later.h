#pragma once
// Answering a request after its handler has returned. A handler whose answer waits on something
// that finishes on another thread — a start's rows, committed by the database's writer with the
// rows of other requests — need not hold its thread while it waits: it takes the request's answer
// (take()), returns, and whoever finishes the work posts a function that makes the answer. The
// front end runs that function on one of its threads and sends what it returns, in the
// connection's order. No thread sleeps on the commit, and the thread that read the request goes
// on to the next one.
//
// The front end opens a Scope around each handler call on its thread; with none open (a test
// calling a route, the admin loop of an older front end) possible() is false and a handler
// answers as it always did.

#include <functional>
#include <vector>

#include "http/message.h"

namespace linkgate::http {

/// Makes a request's answer. Run once, on a front end thread; may throw (the client then gets a
/// 500).
using MakeAnswer = std::function<Response()>;
/// Hands a request's answer maker to its connection. Thread-safe; call exactly once.
using PostAnswer = std::function<void(MakeAnswer)>;
/// A change to an answer made later, before it is sent (a request id, counting, the access log).
using AnswerStep = std::function<void(Response&)>;

class AnswerLater {
 public:
  /// Makes the function that reaches the connection, from the front end's @p context; called
  /// only when a handler takes its answer, so that answering at once costs nothing.
  using MakePost = PostAnswer (*)(void* context);

  /// Opened by the front end around one handler call on the calling thread. @p make_post and
  /// @p context reach the connection; @p steps (owned by the connection) collects then().
  class Scope {
   public:
    Scope(MakePost make_post, void* context, std::vector<AnswerStep>& steps) noexcept;
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    /// Whether the handler took the answer (the Response it returned is then not the answer).
    [[nodiscard]] bool taken() const { return taken_; }

   private:
    friend class AnswerLater;
    MakePost make_post_;
    void* context_;
    std::vector<AnswerStep>& steps_;
    bool taken_ = false;
    Scope* outer_;
  };

  /// Whether the request handled on this thread can be answered later.
  static bool possible() noexcept;
  /// Takes the request's answer: the handler's returned Response is ignored, and the returned
  /// function must be called exactly once, from any thread, with what makes the answer. Throws
  /// std::logic_error when !possible() or already taken.
  static PostAnswer take();
  /// Undoes take() when the returned function was not and will not be called: the Response the
  /// handler returns is the answer again. Steps added meanwhile are dropped.
  static void give_back() noexcept;
  /// Whether take() was called (and not given back) in the innermost scope on this thread.
  static bool taken() noexcept;
  /// After take(): @p step is applied to the answer made later, on the thread that makes it, in
  /// the order added, before it is sent. Throws std::logic_error when nothing was taken.
  static void then(AnswerStep step);
};

}  // namespace linkgate::http
