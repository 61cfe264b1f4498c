// The demo origin's request handling, apart from the network: maps a request path to a file
// under the site root (never outside it, whatever the encoding), and answers GET/HEAD with
// Content-Type, Last-Modified, ETag, Cache-Control and conditional 304s.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/runtime/http_server.hpp"

namespace udn::origin {

struct FileServerOptions {
    std::filesystem::path root;        // the site directory
    std::uint32_t max_age_s = 60;      // Cache-Control: max-age
    std::string name;                  // sent as X-Served-By, so a client sees which mirror answered
    std::uint64_t max_file_bytes = 64 * 1024 * 1024;
};

// Why a path was refused: 400 for malformed requests, 404 for anything that is not a file
// inside the root (including traversal attempts, so they learn nothing about the file system).
struct ResolvedPath {
    int status = 200;
    std::filesystem::path file;
};

class FileServer {
public:
    // Throws std::runtime_error if the root is not a directory.
    explicit FileServer(FileServerOptions options);

    runtime::HttpResponse handle(const runtime::HttpRequest& request) const;
    ResolvedPath resolve(std::string_view raw_path) const;

private:
    FileServerOptions options_;
    std::filesystem::path canonical_root_;
};

// "text/html; charset=utf-8" etc. by extension; application/octet-stream when unknown.
std::string_view content_type_for(const std::filesystem::path& file);
// RFC 9110 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"; parse accepts only that form.
std::string http_date(std::int64_t unix_seconds);
std::optional<std::int64_t> parse_http_date(std::string_view text);

}  // namespace udn::origin
