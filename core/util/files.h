#pragma once

#include <optional>
#include <string>

namespace linkgate::util {

/// Writes @p content to @p path atomically (temp file + rename) with mode @p mode, creating
/// parent folders (0700). Returns an error message, or "" on success.
std::string write_file_atomically(const std::string& path, const std::string& content,
                                  unsigned mode = 0600);
/// Like write_file_atomically, without the file's own fsync: the file (and its name) are
/// durable only after a FolderSync::wait_durable() that begins after this returns.
std::string write_file_for_folder_sync(const std::string& path, const std::string& content,
                                       unsigned mode = 0600);
/// Makes write_file_for_folder_sync name its files by /proc/self/fd/N only, as where the kernel
/// refuses linkat(AT_EMPTY_PATH) to this process (@p only true), or try the descriptor first
/// again (false). For tests.
void link_unnamed_files_by_proc_path_only(bool only);

/// Creates @p path with @p content only if it does not exist yet (O_EXCL), mode 0600; when two
/// processes race, one writes and both then read the same content. An existing file that group
/// or others may read or write is refused (private_file_problem). Returns the file's content or
/// nullopt with @p error set.
std::optional<std::string> create_or_read_secret(const std::string& path,
                                                 const std::string& content, std::string& error);
/// "" when @p path is private to its owner; otherwise why not ("... is readable by group or
/// others (mode 0644): chmod 600 ..."). A key or secret anyone else on the machine can read is
/// refused rather than used.
std::string private_file_problem(const std::string& path);
/// Reads a whole file; nullopt if it cannot be read.
std::optional<std::string> read_file(const std::string& path);

}  // namespace linkgate::util
