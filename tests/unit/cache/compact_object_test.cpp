// The memory tier's compact objects (one allocation: object, links, key, meta text, small body)
// and its open-addressing index: every field survives the copy, Vary variants and purges work,
// and the segmented-LRU eviction order is the one the store had before.
#include <gtest/gtest.h>

#include <climits>
#include <map>
#include <random>
#include <string>

#include "cache/store/memory_store.hpp"

namespace udn::cache::store {
namespace {

std::string body_of(const Object& object) {
    std::vector<std::span<const char>> views;
    object.body_views(0, SIZE_MAX, views);
    std::string result;
    for (const auto& view : views) result.append(view.data(), view.size());
    return result;
}

ObjectPtr filled(ObjectMeta meta, const std::string& body, bool known_length = true) {
    auto object = Object::create();
    object->set_head(std::move(meta), known_length ? body.size() : 0);
    // Two pieces, so an unknown-length body spans heap blocks.
    const auto half = body.size() / 2;
    object->append(std::span<const char>(body.data(), half));
    object->append(std::span<const char>(body.data() + half, body.size() - half));
    object->finish();
    return object;
}

ObjectMeta every_field_meta() {
    ObjectMeta meta;
    meta.set_head(203, {{"Content-Type", "text/html; charset=utf-8"},
                        {"ETag", "W/\"e-1\""},
                        {"Last-Modified", "Mon, 23 Nov 2026 10:00:00 GMT"},
                        {"Vary", "Accept-Encoding, Accept-Language"},
                        {"X-Empty", ""}});
    meta.set_vary("accept-encoding,accept-language");
    meta.set_variant("accept-encoding\x1egzip\x1e" "accept-language\x1e" "de\x1e");
    meta.set_origin_name("mirror-2");
    meta.request_time_s = 1795000000;
    meta.response_time_s = 1795000003;
    meta.corrected_initial_age_s = -5;
    meta.lifetime_s = 86400;
    meta.stale_while_revalidate_s = 30;
    meta.stale_if_error_s = 600;
    meta.must_revalidate = true;
    meta.content_length = 5;
    return meta;
}

void expect_same_meta(const ObjectMeta& a, const ObjectMeta& b) {
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.head_block(), b.head_block());
    EXPECT_EQ(a.fields(), b.fields());
    EXPECT_EQ(a.etag(), b.etag());
    EXPECT_EQ(a.last_modified(), b.last_modified());
    EXPECT_EQ(a.vary(), b.vary());
    EXPECT_EQ(a.variant(), b.variant());
    EXPECT_EQ(a.origin_name(), b.origin_name());
    EXPECT_EQ(static_cast<std::int64_t>(a.request_time_s), static_cast<std::int64_t>(b.request_time_s));
    EXPECT_EQ(static_cast<std::int64_t>(a.response_time_s), static_cast<std::int64_t>(b.response_time_s));
    EXPECT_EQ(static_cast<std::int64_t>(a.corrected_initial_age_s), static_cast<std::int64_t>(b.corrected_initial_age_s));
    EXPECT_EQ(static_cast<std::int64_t>(a.lifetime_s), static_cast<std::int64_t>(b.lifetime_s));
    EXPECT_EQ(static_cast<std::int64_t>(a.stale_while_revalidate_s), static_cast<std::int64_t>(b.stale_while_revalidate_s));
    EXPECT_EQ(static_cast<std::int64_t>(a.stale_if_error_s), static_cast<std::int64_t>(b.stale_if_error_s));
    EXPECT_EQ(a.must_revalidate, b.must_revalidate);
    EXPECT_EQ(static_cast<bool>(a.content_length), static_cast<bool>(b.content_length));
    EXPECT_EQ(a.content_length.value_or(0), b.content_length.value_or(0));
}

TEST(CompactObject, KeepsEveryFieldOfTheMeta) {
    const auto original = every_field_meta();
    EXPECT_EQ(original.etag(), "W/\"e-1\"");
    EXPECT_EQ(original.last_modified(), "Mon, 23 Nov 2026 10:00:00 GMT");
    EXPECT_EQ(original.origin_name(), "mirror-2");
    auto object = filled(original, "hello");
    MemoryStore store(MemoryStoreSettings{1 << 20, 1});
    ASSERT_TRUE(store.insert("site/page", object));
    const auto stored = store.find("site/page");
    ASSERT_TRUE(stored);
    EXPECT_NE(stored.get(), object.get());  // the compact copy, not the object that filled
    EXPECT_EQ(stored->stored_key(), "site/page");
    EXPECT_EQ(stored->state(), Object::State::complete);
    EXPECT_FALSE(stored->is_private());
    ASSERT_NE(stored->meta(), nullptr);
    expect_same_meta(*stored->meta(), original);
    EXPECT_EQ(stored->size_bytes(), 5u);
    EXPECT_EQ(body_of(*stored), "hello");
    const auto body_copy = stored->body();  // a Body for 304 refreshes and stale-on-error
    ASSERT_EQ(body_copy->size_bytes, 5u);
    EXPECT_EQ(std::string(body_copy->blocks.front().first.get(), 5), "hello");
    EXPECT_EQ(stored->body_file_fd(), -1);
    EXPECT_FALSE(stored->wait_for_change(5, Object::State::complete, [] {}));
    std::vector<std::span<const char>> views;
    EXPECT_EQ(stored->body_views(1, 3, views), 3u);
    ASSERT_EQ(views.size(), 1u);
    EXPECT_EQ(std::string(views[0].data(), views[0].size()), "ell");
    EXPECT_EQ(stored->body_views(5, 10, views), 0u);
}

TEST(CompactObject, OutcomeAndEmptyFieldsSurvive) {
    ObjectMeta bare;
    bare.set_head(404, {});
    auto object = Object::create();
    object->adopt(bare, std::make_shared<Body>(), Object::Outcome::revalidated);
    MemoryStore store(MemoryStoreSettings{1 << 20, 1});
    ASSERT_TRUE(store.insert("k", object));
    const auto stored = store.find("k");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->outcome(), Object::Outcome::revalidated);
    expect_same_meta(*stored->meta(), bare);
    EXPECT_TRUE(stored->meta()->vary().empty());
    EXPECT_TRUE(stored->meta()->origin_name().empty());
    EXPECT_FALSE(stored->meta()->content_length);
    EXPECT_EQ(stored->size_bytes(), 0u);
}

// A meta copied out of a stored object owns its text: it outlives the object and the store.
TEST(CompactObject, CopiedMetaOutlivesTheObject) {
    std::optional<ObjectMeta> copy;
    {
        MemoryStore store(MemoryStoreSettings{1 << 20, 1});
        store.insert("k", filled(every_field_meta(), "hello"));
        copy = *store.find("k")->meta();
        ObjectMeta moved = std::move(*copy);
        copy = std::move(moved);
    }
    expect_same_meta(*copy, every_field_meta());
    copy->set_origin_name("mirror-3");
    EXPECT_EQ(copy->origin_name(), "mirror-3");
    EXPECT_EQ(copy->vary(), "accept-encoding,accept-language");
    EXPECT_EQ(copy->etag(), "W/\"e-1\"");
}

TEST(CompactObject, TimesSaturateInsteadOfWrapping) {
    ObjectMeta meta;
    meta.lifetime_s = std::int64_t{1} << 40;
    meta.corrected_initial_age_s = -(std::int64_t{1} << 40);
    meta.response_time_s = -1;
    meta.request_time_s = std::int64_t{1} << 33;
    EXPECT_EQ(static_cast<std::int64_t>(meta.lifetime_s), INT32_MAX);
    EXPECT_EQ(static_cast<std::int64_t>(meta.corrected_initial_age_s), INT32_MIN);
    EXPECT_EQ(static_cast<std::int64_t>(meta.response_time_s), 0);
    EXPECT_EQ(static_cast<std::int64_t>(meta.request_time_s), UINT32_MAX);
    meta.response_time_s = 1795000000;
    meta.corrected_initial_age_s = 10;
    EXPECT_EQ(meta.age_s(1795000100), 110);
    EXPECT_EQ(meta.age_s(1794999000), 10);  // a clock that went back adds nothing
}

TEST(CompactObject, LargeBodiesStayInTheirMemoryFile) {
    std::string big(300000, 'b');
    big[123456] = 'c';
    ObjectMeta meta;
    meta.set_head(200, {{"Content-Type", "application/octet-stream"}});
    auto object = filled(meta, big);
    MemoryStore store(MemoryStoreSettings{16 << 20, 1});
    ASSERT_TRUE(store.insert("site/big", object));
    const auto stored = store.find("site/big");
    ASSERT_TRUE(stored);
    EXPECT_GE(stored->body_file_fd(), 0);
    EXPECT_EQ(stored->body_file_fd(), object->body_file_fd());  // shared, not copied
    EXPECT_EQ(body_of(*stored), big);
    object = nullptr;  // the filling object goes; the stored one keeps the file
    EXPECT_EQ(body_of(*stored), big);
}

TEST(CompactObject, UnknownLengthBodiesAreCopiedWhole) {
    const std::string small(1000, 's');
    const std::string large(150000, 'L');
    MemoryStore store(MemoryStoreSettings{16 << 20, 1});
    store.insert("small", filled(ObjectMeta(), small, false));
    store.insert("large", filled(ObjectMeta(), large, false));
    EXPECT_EQ(body_of(*store.find("small")), small);
    EXPECT_EQ(body_of(*store.find("large")), large);
    EXPECT_EQ(store.find("large")->body_file_fd(), -1);  // heap blocks: written, not sendfile'd
    // A 1000-byte body kept inline does not cost the 64 KiB block it was filled into.
    EXPECT_LT(store.find("small")->memory_bytes(), 2000u);
}

TEST(CompactObject, ReadersKeepAnObjectThatWasPurged) {
    MemoryStore store(MemoryStoreSettings{1 << 20, 1});
    store.insert("site/a", filled(every_field_meta(), "still here"));
    const auto held = store.find("site/a");
    EXPECT_TRUE(store.erase("site/a"));
    EXPECT_EQ(store.find("site/a"), nullptr);
    EXPECT_EQ(body_of(*held), "still here");
    EXPECT_EQ(held->meta()->origin_name(), "mirror-2");
}

TEST(CompactObject, StoredObjectsCanBeStoredAgain) {
    MemoryStore first(MemoryStoreSettings{1 << 20, 1});
    MemoryStore second(MemoryStoreSettings{1 << 20, 1});
    first.insert("k", filled(every_field_meta(), "hello"));
    ASSERT_TRUE(second.insert("other-key", first.find("k")));
    const auto again = second.find("other-key");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->stored_key(), "other-key");
    expect_same_meta(*again->meta(), every_field_meta());
    EXPECT_EQ(body_of(*again), "hello");
}

TEST(CompactObject, IncompleteObjectsAreRefused) {
    MemoryStore store(MemoryStoreSettings{1 << 20, 1});
    auto pending = Object::create();
    EXPECT_FALSE(store.insert("k", pending));
    pending->set_head(ObjectMeta(), 10);
    EXPECT_FALSE(store.insert("k", pending));
    pending->fail();
    EXPECT_FALSE(store.insert("k", pending));
    EXPECT_FALSE(store.insert("k", nullptr));
    EXPECT_EQ(store.stats().objects, 0u);
}

// Variants live under "<key>\x1f<variant>"; purging a URL removes its variants and nothing else.
TEST(CompactObject, VaryVariantsAndTheirPurge) {
    MemoryStore store(MemoryStoreSettings{1 << 20, 4});
    store.set_vary("site/page", "accept-encoding");
    EXPECT_EQ(store.vary_of("site/page"), "accept-encoding");
    store.insert("site/page\x1f" "accept-encoding\x1egzip\x1e", filled(ObjectMeta(), "gzip body"));
    store.insert("site/page\x1f" "accept-encoding\x1e\x1e", filled(ObjectMeta(), "plain body"));
    store.insert("site/pages", filled(ObjectMeta(), "another page"));
    EXPECT_EQ(body_of(*store.find("site/page\x1f" "accept-encoding\x1egzip\x1e")), "gzip body");
    EXPECT_EQ(body_of(*store.find("site/page\x1f" "accept-encoding\x1e\x1e")), "plain body");
    EXPECT_EQ(store.find("site/page"), nullptr);  // exact keys only
    EXPECT_EQ(store.erase_prefix("site/page\x1f"), 2u);
    EXPECT_EQ(store.find("site/page\x1f" "accept-encoding\x1egzip\x1e"), nullptr);
    EXPECT_NE(store.find("site/pages"), nullptr);
    EXPECT_EQ(store.erase_prefix("site/"), 1u);
    EXPECT_EQ(store.vary_of("site/page"), "");
    EXPECT_EQ(store.stats().objects, 0u);
    EXPECT_EQ(store.stats().bytes, 0u);
}

// The index against a std::map under random inserts, replacements, erases and purges (a
// removal shifts later slots back; a mistake there loses or duplicates keys).
TEST(CompactObject, IndexAgreesWithAMap) {
    MemoryStore store(MemoryStoreSettings{1u << 30, 2});
    std::map<std::string, std::string> model;
    std::mt19937 random(42);
    for (int step = 0; step < 20000; ++step) {
        const auto key = "k" + std::to_string(random() % 700);
        switch (random() % 8) {
        case 0:
        case 1:
            EXPECT_EQ(store.erase(key), model.erase(key) == 1) << step;
            break;
        case 2:
            if (step % 500 == 0) {
                const auto prefix = "k" + std::to_string(random() % 10);
                std::size_t expected = std::erase_if(model, [&](const auto& item) { return item.first.starts_with(prefix); });
                EXPECT_EQ(store.erase_prefix(prefix), expected) << step;
                break;
            }
            [[fallthrough]];
        default: {
            const auto body = key + "@" + std::to_string(step);
            ASSERT_TRUE(store.insert(key, filled(ObjectMeta(), body)));
            model[key] = body;
        }
        }
        if (step % 97 == 0) {
            for (int i = 0; i < 700; ++i) {
                const auto probe = "k" + std::to_string(i);
                const auto found = store.find(probe);
                const auto it = model.find(probe);
                ASSERT_EQ(static_cast<bool>(found), it != model.end()) << probe << " at " << step;
                if (found) {
                    ASSERT_EQ(body_of(*found), it->second);
                }
            }
        }
    }
    EXPECT_EQ(store.stats().objects, model.size());
    EXPECT_EQ(store.clear(), model.size());
    EXPECT_EQ(store.stats().bytes, 0u);
}

// The segmented LRU decides as before: probation (seen once) is evicted oldest first, an object
// hit again moves to the protected segment and survives newer one-time objects.
TEST(CompactObject, EvictionOrderUnchanged) {
    const std::string body(1000, 'x');
    std::size_t one_object_bytes = 0;
    {
        MemoryStore probe(MemoryStoreSettings{1 << 20, 1});
        probe.insert("k0", filled(ObjectMeta(), body));
        one_object_bytes = probe.stats().bytes;
    }
    ASSERT_GT(one_object_bytes, body.size());
    MemoryStore store(MemoryStoreSettings{4 * one_object_bytes + one_object_bytes / 2, 1});
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(store.insert("k" + std::to_string(i), filled(ObjectMeta(), body)));
    EXPECT_EQ(store.stats().evictions, 0u);
    ASSERT_NE(store.find("k0"), nullptr);  // k0 -> protected
    store.insert("k4", filled(ObjectMeta(), body));  // evicts k1, the oldest on probation
    store.insert("k5", filled(ObjectMeta(), body));  // evicts k2
    EXPECT_EQ(store.stats().evictions, 2u);
    ASSERT_NE(store.find("k3"), nullptr);  // k3 -> protected
    store.insert("k6", filled(ObjectMeta(), body));  // evicts k4 (probation: k4, k5)
    EXPECT_EQ(store.stats().evictions, 3u);
    EXPECT_EQ(store.stats().objects, 4u);
    // Misses first (they do not reorder), then the survivors.
    EXPECT_EQ(store.find("k1"), nullptr);
    EXPECT_EQ(store.find("k2"), nullptr);
    EXPECT_EQ(store.find("k4"), nullptr);
    EXPECT_NE(store.find("k0"), nullptr);
    EXPECT_NE(store.find("k3"), nullptr);
    EXPECT_NE(store.find("k5"), nullptr);
    EXPECT_NE(store.find("k6"), nullptr);
}

}  // namespace
}  // namespace udn::cache::store
