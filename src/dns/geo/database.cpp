#include "dns/geo/database.hpp"

#include <maxminddb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

namespace udn::dns::geo {
namespace {

// Copies a string value found under `path` (NULL-terminated MMDB_get_value path) into `out`,
// NUL-terminated; leaves `out` empty when the value is absent, not a string or too long.
template <std::size_t N, class... Path>
void copy_string(MMDB_entry_s& entry, std::array<char, N>& out, Path... path) {
    MMDB_entry_data_s data{};
    if (MMDB_get_value(&entry, &data, path..., nullptr) != MMDB_SUCCESS || !data.has_data) return;
    if (data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size >= N) return;
    std::memcpy(out.data(), data.utf8_string, data.data_size);
    out[data.data_size] = '\0';
}

}  // namespace

struct Database::Impl {
    MMDB_s mmdb{};
    bool opened = false;  // MMDB_open frees what it allocated when it fails
    ~Impl() {
        if (opened) MMDB_close(&mmdb);
    }
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

std::unique_ptr<Database> Database::open(const std::string& path, std::string& error) {
    const auto unreadable = [&](const char* reason) {
        error = fmt::format("cannot read {}: {}\ngive the path of a MaxMind .mmdb file (GeoIP2 or GeoLite2 Country or "
                            "City; relative to the working directory) or remove network.geoip_database",
                            path, reason);
    };
    // Asked first because MMDB_open's own error does not say why a file cannot be opened.
    if (::access(path.c_str(), R_OK) != 0) {
        unreadable(std::strerror(errno));
        return nullptr;
    }
    auto impl = std::make_unique<Impl>();
    const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &impl->mmdb);
    if (status == MMDB_SUCCESS) {
        impl->opened = true;
        return std::unique_ptr<Database>(new Database(std::move(impl)));
    }
    if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) {
        unreadable(MMDB_strerror(status));
    } else {
        error = fmt::format("{} is not a usable MaxMind DB: {}\nuse a .mmdb file in the GeoIP2/GeoLite2 Country or "
                            "City format (download it again if it was cut short)",
                            path, MMDB_strerror(status));
    }
    return nullptr;
}

Location Database::lookup(const net::IpAddress& address) const {
    Location out;
    sockaddr_storage storage{};
    address.to_sockaddr(0, storage);
    int mmdb_error = MMDB_SUCCESS;
    auto result = MMDB_lookup_sockaddr(&impl_->mmdb, reinterpret_cast<const sockaddr*>(&storage), &mmdb_error);
    if (mmdb_error != MMDB_SUCCESS) return out;  // e.g. an IPv6 address in an IPv4-only database
    // An IPv4 address in an IPv6 database lives under ::/96, and the netmask counts those bits.
    const bool mapped = address.is_v4() && impl_->mmdb.metadata.ip_version == 6;
    out.prefix_length = mapped ? (result.netmask > 96 ? result.netmask - 96 : 0) : result.netmask;
    if (!result.found_entry) return out;
    out.found = true;
    copy_string(result.entry, out.continent, "continent", "code");
    copy_string(result.entry, out.country, "country", "iso_code");
    if (out.country[0] == '\0') copy_string(result.entry, out.country, "registered_country", "iso_code");
    std::array<char, 4> subdivision{};
    copy_string(result.entry, subdivision, "subdivisions", "0", "iso_code");
    if (out.country[0] != '\0' && subdivision[0] != '\0') {
        fmt::format_to_n(out.subdivision.data(), out.subdivision.size() - 1, "{}-{}", out.country.data(),
                         subdivision.data());
    }
    return out;
}

std::string Database::description() const {
    const auto& metadata = impl_->mmdb.metadata;
    const auto built = static_cast<std::time_t>(metadata.build_epoch);
    std::tm utc{};
    gmtime_r(&built, &utc);
    return fmt::format("{} built {:04}-{:02}-{:02}", metadata.database_type ? metadata.database_type : "(no type)",
                       utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday);
}

std::string Location::to_string() const {
    const auto part = [](std::string_view code) { return code.empty() ? std::string_view{"-"} : code; };
    std::string out = fmt::format("{}/{}", part(continent_code()), part(country_code()));
    if (!subdivision_code().empty()) out += "/" + std::string{subdivision_code()};
    return out;
}

}  // namespace udn::dns::geo
