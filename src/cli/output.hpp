// Human output for CLI verbs: aligned tables and short ages; --json prints the server's JSON instead.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <iosfwd>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace balctl::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add(std::vector<std::string> row);
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// A JSON scalar as text; null and missing become "-".
std::string text(const boost::json::value* value);
std::string text(const boost::json::object& object, std::string_view key);
// Milliseconds as "850ms", "12s", "4m", "3h", "2d"; "-" for null.
std::string age(const boost::json::value* milliseconds);

void print_json(const boost::json::value& value);

// Prints a reply as JSON (--json) or with `human`; passes an error through.
template <class Human>
Status print_reply(Result<boost::json::object> reply, bool json, Human human) {
  if (!reply) return reply.error();
  if (json) {
    print_json(*reply);
  } else {
    human(*reply);
  }
  return {};
}

}  // namespace balctl::cli
