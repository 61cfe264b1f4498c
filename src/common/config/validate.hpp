// Whole-tree checks that the per-key schema cannot express: uniqueness, references between
// entities, the push tree's shape, zones and record values.
#pragma once
#include "common/config/config.hpp"
#include "common/config/schema.hpp"

namespace udn::config {

void validate(const Config& config, schema::Context& context);

}  // namespace udn::config
