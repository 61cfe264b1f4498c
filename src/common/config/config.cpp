#include "common/config/config.hpp"

#include <algorithm>

namespace udn::config {

std::string_view to_string(Role role) {
    switch (role) {
        case Role::dns: return "dns";
        case Role::cache: return "cache";
        case Role::probe: return "probe";
        case Role::loadp: return "loadp";
        case Role::configd: return "configd";
        case Role::logs: return "logs";
        case Role::view: return "view";
    }
    return "?";
}

std::string_view to_string(DomainKind kind) {
    return kind == DomainKind::dynamic_name ? "dynamic" : "static";
}

std::string_view to_string(AllDownPolicy policy) {
    switch (policy) {
        case AllDownPolicy::return_all: return "return_all";
        case AllDownPolicy::return_backups: return "return_backups";
        case AllDownPolicy::servfail: return "servfail";
    }
    return "?";
}

std::string_view to_string(CheckType type) {
    switch (type) {
        case CheckType::http: return "http";
        case CheckType::https: return "https";
        case CheckType::tcp: return "tcp";
        case CheckType::dns: return "dns";
        case CheckType::ftp: return "ftp";
        case CheckType::none: return "none";
    }
    return "?";
}

bool Server::has_role(Role role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
}

const Pop* Config::find_pop(std::string_view name) const {
    for (const auto& pop : pops) {
        if (pop.name == name) return &pop;
    }
    return nullptr;
}

const Server* Config::find_server(std::string_view name) const {
    for (const auto& pop : pops) {
        for (const auto& server : pop.servers) {
            if (server.name == name) return &server;
        }
    }
    return nullptr;
}

const Customer* Config::find_customer(std::string_view name) const {
    for (const auto& customer : customers) {
        if (customer.name == name) return &customer;
    }
    return nullptr;
}

std::vector<const Server*> Config::servers_with_role(Role role) const {
    std::vector<const Server*> found;
    for (const auto& pop : pops) {
        for (const auto& server : pop.servers) {
            if (server.has_role(role)) found.push_back(&server);
        }
    }
    return found;
}

}  // namespace udn::config
