// Internal to the schema: the generic Field/Section machinery and the field makers used by
// schema.cpp to declare each key once. Not for other components (they read config.hpp values).
#pragma once
#include <toml++/toml.h>

#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/config/config.hpp"
#include "common/config/names.hpp"
#include "common/config/schema.hpp"

namespace udn::config::schema {

// Whether a running role picks a change up on reload (SIGHUP) or only on restart.
enum class Reload { live, restart };

inline std::string join_path(std::string_view path, std::string_view key) {
    return path.empty() ? std::string{key} : std::string{path} + "." + std::string{key};
}

template <class T>
struct Field {
    std::string_view key;
    std::string type;  // as shown to users: "integer 1..65535", "string", "array of strings"
    std::string_view unit;
    Reload reload = Reload::live;
    bool required = false;
    std::string_view description;
    std::function<void(T&, const toml::node&, Context&, std::string_view path)> apply;
    std::function<std::string()> default_text;                     // "" when there is no default
    std::function<void(std::string&, std::string_view)> children;  // nested sections, for docs
};

template <class T>
struct Section {
    std::string_view description;
    std::vector<Field<T>> fields;
};

std::string closest_key(std::string_view unknown, const std::vector<std::string_view>& known);

template <class T>
void apply_section(const Section<T>& section, const toml::table& table, T& out, Context& context,
                   std::string_view path) {
    std::vector<std::string_view> known;
    for (const auto& field : section.fields) known.push_back(field.key);
    for (const auto& [key, node] : table) {
        const Field<T>* match = nullptr;
        for (const auto& field : section.fields) {
            if (field.key == key.str()) match = &field;
        }
        if (match == nullptr) {
            const auto suggestion = closest_key(key.str(), known);
            std::string where = path.empty() ? "at the top level" : "in [" + std::string{path} + "]";
            context.error(node, "unknown key '" + std::string{key.str()} + "' " + where,
                          suggestion.empty() ? "remove it; docs/configuration.md lists the valid keys"
                                             : "did you mean '" + suggestion + "'?");
            continue;
        }
        match->apply(out, node, context, join_path(path, key.str()));
    }
    for (const auto& field : section.fields) {
        if (field.required && !table.contains(field.key)) {
            const std::string where = path.empty() ? "the top level" : "[" + std::string{path} + "]";
            context.error(line_of(table), "missing required key '" + std::string{field.key} + "' in " + where,
                          "add " + std::string{field.key} + " = <" + field.type + ">");
        }
    }
}

template <class T>
void render_section(const Section<T>& section, std::string& out, std::string_view path) {
    out += "\n### `[" + std::string{path.empty() ? "top level" : path} + "]`\n\n";
    out += std::string{section.description} + "\n\n";
    out += "| key | type | default | unit | reload | description |\n|---|---|---|---|---|---|\n";
    for (const auto& field : section.fields) {
        const std::string default_text = field.required ? "required" : field.default_text();
        out += "| `" + std::string{field.key} + "` | " + field.type + " | " +
               (default_text.empty() ? "—" : "`" + default_text + "`") + " | " +
               (field.unit.empty() ? "" : std::string{field.unit}) + " | " +
               (field.reload == Reload::live ? "live" : "restart") + " | " + std::string{field.description} +
               " |\n";
    }
    for (const auto& field : section.fields) {
        if (field.children) field.children(out, join_path(path, field.key));
    }
}

// ---- value readers: each reports its own error and returns false on a bad value ----

inline std::string describe(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        default: return "a date/time";
    }
}

inline void type_error(const toml::node& node, Context& context, std::string_view path, std::string_view expected,
                       std::string_view example) {
    context.error(node, std::string{path} + " must be " + std::string{expected} + ", not " + describe(node),
                  "write it as " + std::string{path.substr(path.rfind('.') + 1)} + " = " + std::string{example});
}

inline bool read_string(const toml::node& node, Context& context, std::string_view path, std::string& out) {
    if (const auto* value = node.as_string()) {
        out = value->get();
        return true;
    }
    type_error(node, context, path, "a string", "\"...\"");
    return false;
}

template <class T>
std::string format_value(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
        return value ? "true" : "false";
    } else if constexpr (std::is_arithmetic_v<T>) {
        std::ostringstream text;
        text << +value;
        return text.str();
    } else if constexpr (std::is_same_v<T, std::string>) {
        return value.empty() ? "" : "\"" + value + "\"";
    } else {
        return "";
    }
}

// ---- field makers ----

template <class T, class M>
Field<T> integer_field(std::string_view key, M T::*member, long long min, long long max, std::string_view unit,
                       Reload reload, std::string_view description, bool required = false) {
    static_assert(std::is_integral_v<M>);
    Field<T> field{key, "integer " + std::to_string(min) + ".." + std::to_string(max), unit, reload, required,
                   description};
    field.apply = [member, min, max](T& out, const toml::node& node, Context& context, std::string_view path) {
        const auto* value = node.as_integer();
        if (value == nullptr) {
            type_error(node, context, path, "an integer", std::to_string(min));
            return;
        }
        const long long number = value->get();
        if (number < min || number > max) {
            context.error(node, std::string{path} + " = " + std::to_string(number) + " is out of range",
                          "use a value from " + std::to_string(min) + " to " + std::to_string(max));
            return;
        }
        out.*member = static_cast<M>(number);
    };
    field.default_text = [member] { return format_value(T{}.*member); };
    return field;
}

template <class T>
Field<T> number_field(std::string_view key, double T::*member, double min, double max, std::string_view unit,
                      Reload reload, std::string_view description) {
    Field<T> field{key, "number " + format_value(min) + ".." + format_value(max), unit, reload, false, description};
    field.apply = [member, min, max](T& out, const toml::node& node, Context& context, std::string_view path) {
        double number = 0;
        if (const auto* real = node.as_floating_point()) {
            number = real->get();
        } else if (const auto* integer = node.as_integer()) {
            number = static_cast<double>(integer->get());
        } else {
            type_error(node, context, path, "a number", format_value(min));
            return;
        }
        if (!(number >= min && number <= max)) {
            context.error(node, std::string{path} + " = " + format_value(number) + " is out of range",
                          "use a value from " + format_value(min) + " to " + format_value(max));
            return;
        }
        out.*member = number;
    };
    field.default_text = [member] { return format_value(T{}.*member); };
    return field;
}

template <class T>
Field<T> bool_field(std::string_view key, bool T::*member, Reload reload, std::string_view description) {
    Field<T> field{key, "boolean", "", reload, false, description};
    field.apply = [member](T& out, const toml::node& node, Context& context, std::string_view path) {
        if (const auto* value = node.as_boolean()) {
            out.*member = value->get();
        } else {
            type_error(node, context, path, "a boolean", "true");
        }
    };
    field.default_text = [member] { return format_value(T{}.*member); };
    return field;
}

// A string with an optional validator returning "" when valid, else what is wrong (and the fix
// after a '\n').
using StringCheck = std::string (*)(const std::string&);

template <class T>
Field<T> string_field(std::string_view key, std::string T::*member, Reload reload, std::string_view description,
                      bool required = false, StringCheck check = nullptr, std::string type = "string") {
    Field<T> field{key, std::move(type), "", reload, required, description};
    field.apply = [member, check](T& out, const toml::node& node, Context& context, std::string_view path) {
        std::string value;
        if (!read_string(node, context, path, value)) return;
        if (check != nullptr) {
            const auto problem = check(value);
            if (!problem.empty()) {
                const auto split = problem.find('\n');
                context.error(node, std::string{path} + " = \"" + value + "\": " + problem.substr(0, split),
                              split == std::string::npos ? "correct the value" : problem.substr(split + 1));
                return;
            }
        }
        out.*member = std::move(value);
    };
    field.default_text = [member] { return format_value(T{}.*member); };
    return field;
}

template <class T, class E>
Field<T> enum_field(std::string_view key, E T::*member, std::vector<std::pair<std::string_view, E>> values,
                    Reload reload, std::string_view description) {
    std::string choices;
    for (const auto& [name, value] : values) choices += (choices.empty() ? "" : ", ") + std::string{name};
    Field<T> field{key, "one of " + choices, "", reload, false, description};
    field.apply = [member, values, choices](T& out, const toml::node& node, Context& context, std::string_view path) {
        std::string text;
        if (!read_string(node, context, path, text)) return;
        for (const auto& [name, value] : values) {
            if (name == text) {
                out.*member = value;
                return;
            }
        }
        context.error(node, std::string{path} + " = \"" + text + "\" is not a valid choice", "use one of " + choices);
    };
    field.default_text = [member, values] {
        for (const auto& [name, value] : values) {
            if (value == T{}.*member) return "\"" + std::string{name} + "\"";
        }
        return std::string{};
    };
    return field;
}

// An array whose elements are each parsed by `element` (which reports its own errors).
template <class T, class E>
Field<T> array_field(std::string_view key, std::vector<E> T::*member, std::string type, Reload reload,
                     std::string_view description,
                     std::function<bool(const toml::node&, Context&, std::string_view, E&)> element,
                     bool required = false) {
    Field<T> field{key, std::move(type), "", reload, required, description};
    field.apply = [member, element](T& out, const toml::node& node, Context& context, std::string_view path) {
        const auto* array = node.as_array();
        if (array == nullptr) {
            type_error(node, context, path, "an array", "[...]");
            return;
        }
        std::vector<E> values;
        for (std::size_t index = 0; index < array->size(); ++index) {
            E value{};
            if (element((*array)[index], context, std::string{path} + "[" + std::to_string(index) + "]", value)) {
                values.push_back(std::move(value));
            }
        }
        out.*member = std::move(values);
    };
    field.default_text = [] { return std::string{}; };
    return field;
}

template <class T, class Sub>
Field<T> table_field(std::string_view key, Sub T::*member, const Section<Sub>& (*section)(), Reload reload,
                     std::string_view description, bool required = false) {
    Field<T> field{key, "table", "", reload, required, description};
    field.apply = [member, section](T& out, const toml::node& node, Context& context, std::string_view path) {
        if (const auto* table = node.as_table()) {
            apply_section(section(), *table, out.*member, context, path);
        } else {
            type_error(node, context, path, "a table", "{ ... } or a [section]");
        }
    };
    field.default_text = [] { return std::string{}; };
    field.children = [section](std::string& out, std::string_view path) { render_section(section(), out, path); };
    return field;
}

template <class T, class Sub>
Field<T> table_array_field(std::string_view key, std::vector<Sub> T::*member, const Section<Sub>& (*section)(),
                           Reload reload, std::string_view description) {
    Field<T> field{key, "array of tables", "", reload, false, description};
    field.apply = [member, section](T& out, const toml::node& node, Context& context, std::string_view path) {
        const auto* array = node.as_array();
        if (array == nullptr || (!array->empty() && !array->is_array_of_tables())) {
            type_error(node, context, path, "an array of tables", "[[" + std::string{path} + "]] sections");
            return;
        }
        for (const auto& element : *array) {
            Sub value{};
            if constexpr (std::is_base_of_v<SourceLine, Sub>) value.line = line_of(element);
            apply_section(section(), *element.as_table(), value, context, path);
            (out.*member).push_back(std::move(value));
        }
    };
    field.default_text = [] { return std::string{}; };
    field.children = [section](std::string& out, std::string_view path) {
        render_section(section(), out, std::string{path} + "[]");
    };
    return field;
}

}  // namespace udn::config::schema
