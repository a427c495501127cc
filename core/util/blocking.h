#pragma once
// The server lets only a few threads per core run requests at once (server.running_threads):
// more would only take turns on the cores, and every answer would wait for its thread's turn.
// Code about to wait for something other than the CPU — another thread's commit, a plugin call
// on the plugin's own thread, a database or cache across the network — says so here, and the
// server lets another thread run in its place meanwhile.

namespace linkgate::util {

/// Gives up the calling thread's place among the threads that run requests, if it holds one
/// (a server thread); does nothing on any other thread. The thread takes a place again before
/// it looks for its next request. Cheap, never throws, and safe to call more than once.
/// Plugins reach the server's places through the same call (see blocking.cpp).
void about_to_block() noexcept;

/// What about_to_block() does on the calling thread: @p hook(@p context), or nothing when
/// @p hook is null. Installed by the server on its own threads.
void on_blocking(void (*hook)(void*), void* context) noexcept;

/// Runs the calling thread's hook, if any (the server's executable exports this as
/// `linkgate_about_to_block` for plugins).
void run_blocking_hook() noexcept;

}  // namespace linkgate::util
