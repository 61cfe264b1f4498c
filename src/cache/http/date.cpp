// HTTP-date parsing and formatting; see date.hpp. No locale or timezone state is touched
// (timegm-free arithmetic), so it is safe on any thread.
#include "cache/http/date.hpp"

#include <array>
#include <cstdio>

#include "cache/http/syntax.hpp"

namespace udn::cache::http {

namespace {

constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> day_names = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<int> number(std::string_view text) {
    if (text.empty() || text.size() > 4) return std::nullopt;
    int value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

std::optional<int> month(std::string_view text) {
    for (std::size_t i = 0; i < month_names.size(); ++i) {
        if (text == month_names[i]) return static_cast<int>(i) + 1;
    }
    return std::nullopt;
}

std::optional<std::int64_t> assemble(std::optional<int> year, std::optional<int> mon, std::optional<int> day,
                                     std::string_view clock) {
    if (!year || !mon || !day || clock.size() != 8 || clock[2] != ':' || clock[5] != ':') return std::nullopt;
    const auto hour = number(clock.substr(0, 2));
    const auto minute = number(clock.substr(3, 2));
    const auto second = number(clock.substr(6, 2));
    if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
    if (*day < 1 || *day > 31 || *year < 1900) return std::nullopt;
    return days_from_civil(*year, static_cast<unsigned>(*mon), static_cast<unsigned>(*day)) * 86400 +
           *hour * 3600 + *minute * 60 + *second;
}

}  // namespace

std::optional<std::int64_t> parse_http_date(std::string_view text) {
    text = trim(text);
    const auto comma = text.find(',');
    if (comma != std::string_view::npos) {
        auto rest = trim(text.substr(comma + 1));
        if (rest.size() == 24 && rest[2] == ' ' && rest[6] == ' ' && rest[11] == ' ' && rest.substr(20) == " GMT") {
            // IMF-fixdate: "06 Nov 1994 08:49:37 GMT"
            return assemble(number(rest.substr(7, 4)), month(rest.substr(3, 3)), number(rest.substr(0, 2)),
                            rest.substr(12, 8));
        }
        if (rest.size() == 22 && rest[2] == '-' && rest[6] == '-' && rest[9] == ' ' && rest.substr(18) == " GMT") {
            // RFC 850: "06-Nov-94 08:49:37 GMT"; two-digit years are taken as 19xx/20xx around 70.
            auto year = number(rest.substr(7, 2));
            if (year) *year += *year < 70 ? 2000 : 1900;
            return assemble(year, month(rest.substr(3, 3)), number(rest.substr(0, 2)), rest.substr(10, 8));
        }
        return std::nullopt;
    }
    // asctime: "Sun Nov  6 08:49:37 1994"
    if (text.size() == 24 && text[3] == ' ' && text[7] == ' ' && text[10] == ' ' && text[19] == ' ') {
        auto day_text = text.substr(8, 2);
        if (day_text[0] == ' ') day_text.remove_prefix(1);
        return assemble(number(text.substr(20, 4)), month(text.substr(4, 3)), number(day_text), text.substr(11, 8));
    }
    return std::nullopt;
}

std::string format_http_date(std::int64_t unix_s) {
    std::int64_t days = unix_s / 86400;
    std::int64_t seconds = unix_s % 86400;
    if (seconds < 0) {
        seconds += 86400;
        --days;
    }
    const auto weekday = static_cast<std::size_t>(((days % 7) + 7) % 7);
    // civil_from_days
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned day = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mon = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (mon <= 2);
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04lld %02lld:%02lld:%02lld GMT", day_names[weekday].data(), day,
                  month_names[mon - 1].data(), static_cast<long long>(year), static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
    return buffer;
}

}  // namespace udn::cache::http
