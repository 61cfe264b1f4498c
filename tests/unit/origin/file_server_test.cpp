// The demo origin's file serving: types, validators, conditional requests, and that no path,
// however encoded, reaches outside the site root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "origin/file_server.hpp"

namespace udn::origin {
namespace {

namespace fs = std::filesystem;
using runtime::HttpRequest;

class OriginFileServer : public ::testing::Test {
protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("udn-origin-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(base_);
        fs::create_directories(base_ / "site" / "images");
        std::ofstream(base_ / "site" / "index.html") << "<html>hi</html>";
        std::ofstream(base_ / "site" / "images" / "logo.svg") << "<svg/>";
        std::ofstream(base_ / "site" / ".hidden") << "secret";
        std::ofstream(base_ / "outside.txt") << "outside";
        fs::create_symlink(base_ / "outside.txt", base_ / "site" / "escape.txt");
        server_.emplace(FileServerOptions{base_ / "site", 120, "mirror-1"});
    }
    void TearDown() override { fs::remove_all(base_); }

    runtime::HttpResponse get(std::string path, runtime::HttpHeaders headers = {}, std::string method = "GET") {
        HttpRequest request;
        request.method = std::move(method);
        request.path = std::move(path);
        request.headers = std::move(headers);
        return server_->handle(request);
    }
    static std::string header(const runtime::HttpResponse& response, std::string_view name) {
        for (const auto& [key, value] : response.headers) {
            if (key == name) return value;
        }
        return {};
    }

    fs::path base_;
    std::optional<FileServer> server_;
};

TEST_F(OriginFileServer, ServesFilesWithTypeValidatorsAndCacheControl) {
    const auto page = get("/");
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.body, "<html>hi</html>");
    EXPECT_EQ(header(page, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(header(page, "Cache-Control"), "public, max-age=120");
    EXPECT_EQ(header(page, "X-Served-By"), "mirror-1");
    EXPECT_FALSE(header(page, "ETag").empty());
    EXPECT_TRUE(parse_http_date(header(page, "Last-Modified")).has_value());
    const auto logo = get("/images/logo.svg");
    EXPECT_EQ(logo.status, 200);
    EXPECT_EQ(header(logo, "Content-Type"), "image/svg+xml");
}

TEST_F(OriginFileServer, ConditionalRequestsGet304) {
    const auto first = get("/index.html");
    const auto etag = header(first, "ETag");
    EXPECT_EQ(get("/index.html", {{"If-None-Match", etag}}).status, 304);
    EXPECT_EQ(get("/index.html", {{"If-None-Match", "\"other\", W/" + etag}}).status, 304);
    EXPECT_EQ(get("/index.html", {{"If-None-Match", "\"other\""}}).status, 200);
    const auto modified = header(first, "Last-Modified");
    const auto not_modified = get("/index.html", {{"If-Modified-Since", modified}});
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_TRUE(not_modified.body.empty());
    EXPECT_EQ(header(not_modified, "ETag"), etag);
    EXPECT_EQ(get("/index.html", {{"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}}).status, 200);
    EXPECT_EQ(get("/index.html", {{"If-Modified-Since", "garbage"}}).status, 200);
}

TEST_F(OriginFileServer, TraversalInEveryEncodingIsRefused) {
    for (const auto* path : {"/../outside.txt", "/images/../../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E%2Foutside.txt",
                             "/images/%2e%2e/%2e%2e/outside.txt", "/..%2foutside.txt", "/.hidden", "/escape.txt",
                             "/%252e%252e/outside.txt", "/missing.html"}) {
        const auto response = get(path);
        EXPECT_EQ(response.status, 404) << path;
        EXPECT_EQ(response.body.find("outside"), std::string::npos) << path;
    }
    EXPECT_EQ(get("/bad%zzescape").status, 400);
    EXPECT_EQ(get("/nul%00byte").status, 400);
    EXPECT_EQ(get("relative").status, 400);
}

TEST_F(OriginFileServer, OnlyGetAndHead) {
    EXPECT_EQ(get("/", {}, "HEAD").status, 200);
    const auto post = get("/", {}, "POST");
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(header(post, "Allow"), "GET, HEAD");
}

TEST_F(OriginFileServer, MissingRootIsAClearError) {
    EXPECT_THROW(FileServer(FileServerOptions{base_ / "nope", 60, ""}), std::runtime_error);
}

TEST(OriginHttpDate, FormatsAndParsesImfFixdate) {
    EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
    EXPECT_FALSE(parse_http_date(""));
}

TEST(OriginContentType, ByExtension) {
    EXPECT_EQ(content_type_for("a/b.png"), "image/png");
    EXPECT_EQ(content_type_for("a/b.unknown"), "application/octet-stream");
}

}  // namespace
}  // namespace udn::origin
