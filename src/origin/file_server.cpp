// Static files for the demo origin; see file_server.hpp.
#include "origin/file_server.hpp"

#include <sys/stat.h>

#include <array>
#include <ctime>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace udn::origin {
namespace {

namespace fs = std::filesystem;
using runtime::HttpRequest;
using runtime::HttpResponse;

bool is_inside(const fs::path& root, const fs::path& candidate) {
    auto root_part = root.begin();
    auto candidate_part = candidate.begin();
    for (; root_part != root.end(); ++root_part, ++candidate_part) {
        if (candidate_part == candidate.end() || *root_part != *candidate_part) return false;
    }
    return true;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.
bool etag_matches(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        const auto comma = header.find(',');
        auto candidate = trim(header.substr(0, comma));
        if (candidate == "*") return true;
        if (candidate.starts_with("W/")) candidate.remove_prefix(2);
        if (candidate == etag) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

std::string_view content_type_for(const fs::path& file) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> types{{
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff2", "font/woff2"},
    }};
    const auto extension = file.extension().string();
    for (const auto& [suffix, type] : types) {
        if (extension == suffix) return type;
    }
    return "application/octet-stream";
}

std::string http_date(std::int64_t unix_seconds) {
    const std::time_t seconds = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    const auto length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return std::string(text, length);
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
    if (text.size() != 29) return std::nullopt;
    const std::string copy{text};
    std::tm utc{};
    const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
    if (end == nullptr || *end != '\0') return std::nullopt;
    return static_cast<std::int64_t>(timegm(&utc));
}

FileServer::FileServer(FileServerOptions options) : options_(std::move(options)) {
    std::error_code error;
    canonical_root_ = fs::canonical(options_.root, error);
    if (error || !fs::is_directory(canonical_root_)) {
        throw std::runtime_error("site root " + options_.root.string() +
                                 " is not a directory — pass --root DIR with the site's files (e.g. examples/site)");
    }
}

ResolvedPath FileServer::resolve(std::string_view raw_path) const {
    if (raw_path.empty() || raw_path.front() != '/') return {400, {}};
    const auto decoded = runtime::percent_decode(raw_path);
    if (!decoded.ok || decoded.path.find('\0') != std::string::npos) return {400, {}};
    fs::path relative;
    std::string_view rest = decoded.path;
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const auto segment = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (segment.empty() || segment == ".") continue;
        // "..", and hidden files (".git", ".htpasswd"), are never served.
        if (segment.front() == '.') return {404, {}};
        relative /= std::string{segment};
    }
    std::error_code error;
    fs::path file = canonical_root_ / relative;
    if (fs::is_directory(file, error)) file /= "index.html";
    // Symbolic links may point anywhere: check where the path really leads.
    const auto real = fs::canonical(file, error);
    if (error || !is_inside(canonical_root_, real) || !fs::is_regular_file(real, error)) return {404, {}};
    return {200, real};
}

HttpResponse FileServer::handle(const HttpRequest& request) const {
    if (request.method != "GET" && request.method != "HEAD") {
        auto response = HttpResponse::text(405, "only GET and HEAD\n");
        response.headers.emplace_back("Allow", "GET, HEAD");
        return response;
    }
    const auto resolved = resolve(request.path);
    if (resolved.status == 400) return HttpResponse::text(400, "bad request path\n");
    if (resolved.status != 200) return HttpResponse::text(404, "not found\n");

    struct stat info {};
    if (::stat(resolved.file.c_str(), &info) != 0) return HttpResponse::text(404, "not found\n");
    const auto size = static_cast<std::uint64_t>(info.st_size);
    if (size > options_.max_file_bytes) return HttpResponse::text(500, "file too large for the demo origin\n");
    const std::int64_t mtime_s = info.st_mtim.tv_sec;
    const auto mtime_ns = static_cast<std::uint64_t>(info.st_mtim.tv_sec) * 1000000000ull +
                          static_cast<std::uint64_t>(info.st_mtim.tv_nsec);
    const auto etag = fmt::format("\"{:x}-{:x}\"", size, mtime_ns);

    HttpResponse response;
    response.headers = {{"Last-Modified", http_date(mtime_s)},
                        {"ETag", etag},
                        {"Cache-Control", fmt::format("public, max-age={}", options_.max_age_s)}};
    if (!options_.name.empty()) response.headers.emplace_back("X-Served-By", options_.name);

    const auto if_none_match = request.header("If-None-Match");
    bool not_modified = false;
    if (!if_none_match.empty()) {
        not_modified = etag_matches(if_none_match, etag);
    } else if (const auto since = parse_http_date(request.header("If-Modified-Since"))) {
        not_modified = mtime_s <= *since;
    }
    if (not_modified) {
        response.status = 304;
        return response;
    }
    std::ifstream in(resolved.file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in) return HttpResponse::text(500, "cannot read file\n");
    response.headers.emplace_back("Content-Type", std::string{content_type_for(resolved.file)});
    response.body = std::move(body).str();
    return response;
}

}  // namespace udn::origin
