// Fuzzes the demo origin's request-path handling (percent-decoding, traversal checks, file
// lookup): whatever the path, the answer is a file inside the site root or a 400/404.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "origin/file_server.hpp"

namespace {

namespace fs = std::filesystem;

struct Site {
    fs::path base;
    fs::path root;
    std::unique_ptr<udn::origin::FileServer> server;

    Site() {
        char pattern[] = "/tmp/udn-fuzz-origin-XXXXXX";
        base = ::mkdtemp(pattern);
        root = base / "site";
        fs::create_directories(root / "images");
        std::ofstream(root / "index.html") << "<html></html>";
        std::ofstream(root / "images" / "a.svg") << "<svg/>";
        std::ofstream(base / "secret.txt") << "secret";
        server = std::make_unique<udn::origin::FileServer>(udn::origin::FileServerOptions{root, 60, "fuzz"});
        root = fs::canonical(root);
    }
    ~Site() {
        std::error_code ignored;
        fs::remove_all(base, ignored);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Site site;
    const std::string path(data, data + size);
    const auto resolved = site.server->resolve(path);
    if (resolved.status == 200) {
        const auto relative = resolved.file.lexically_relative(site.root);
        if (relative.empty() || *relative.begin() == "..") std::abort();  // escaped the root
    } else if (resolved.status != 400 && resolved.status != 404) {
        std::abort();
    }
    udn::runtime::HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.headers = {{"If-None-Match", path}, {"If-Modified-Since", path}};
    const auto response = site.server->handle(request);
    if (response.status != 200 && response.status != 304 && response.status != 400 && response.status != 404) std::abort();
    return 0;
}
