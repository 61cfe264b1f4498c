// What a DNS server has learnt of its clients (persistence windows, client latency), kept across
// restarts in <state-dir>/dns/client-state: saved at stop and every dns.client_state_save_s,
// read back at start. Without it every restart (an upgrade, a crash) cut every client's
// persistence window short, so a client could be sent to another origin mid-session, and left
// every client prefix unmeasured: answered from the fallback until measured again.
//
// The file: the magic "UDNCST01", the persistence records (32 bytes each) and the latency
// records (24 bytes each) in the layouts the cluster handovers use (docs/protocols.md), a
// trailer (saved at, Unix ms; persistence count; latency count; 8 bytes each), and the SHA-256 of
// everything before it. Written to a temporary file, fsynced and renamed over the old one, so a
// crash mid-save leaves the previous file; streamed a stretch of the tables at a time, so saving
// and loading need no more memory than one stretch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "dns/cluster/handover.hpp"
#include "dns/server/serving_state.hpp"

namespace udn::dns::server {

inline constexpr char client_state_file_name[] = "client-state";

std::filesystem::path client_state_path(const std::filesystem::path& state_dir);

struct ClientStateFileResult {
    std::size_t persistence = 0;  // windows written, or taken when loading
    std::size_t latency = 0;      // measurements written, or taken when loading
    std::int64_t saved_at_ms = 0;
    std::optional<std::string> error;  // what went wrong, with the file's path
    // Loading: the file itself is bad (size, magic, checksum), not only unreadable now.
    bool damaged = false;
};

// Writes everything `view` holds (live windows, fresh measurements) to `path`, replacing it
// atomically. On error the previous file, if any, is left as it was.
ClientStateFileResult save_client_state(const std::filesystem::path& path,
                                        const cluster::ClientStateView& view, std::int64_t now_ms);

// Reads `path` into the tables: windows still open (PersistenceTable::adopt), measurements taken
// at `latency_since_s` or later of POPs `serving` has a slot for (LatencyTable::adopt; one dated
// in the future counts as taken now). Nothing is taken from a file that is damaged (size, magic,
// checksum): the error says why. A missing file is no error (nothing taken).
ClientStateFileResult load_client_state(const std::filesystem::path& path,
                                        const ServingState& serving,
                                        gslb::PersistenceTable& persistence,
                                        gslb::LatencyTable& latency, std::int64_t now_ms,
                                        std::uint32_t latency_since_s);

}  // namespace udn::dns::server
