#include "server/http/message.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/url/parse.hpp>

namespace balctl::http {

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  const auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string_view Request::bearer_token() const {
  constexpr std::string_view kScheme = "Bearer ";
  std::string_view value = authorization;
  if (value.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return {};
    }
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  return value;
}

std::optional<std::pair<std::string, std::map<std::string, std::string>>> split_target(
    std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return std::nullopt;
  std::pair<std::string, std::map<std::string, std::string>> out;
  out.first = parsed->encoded_path();
  for (const auto& param : parsed->params())
    out.second[param.key] = param.value;
  return out;
}

// HTTP/1.1 status line and headers, ending with the blank line. Header names and values come from the
// server's own handlers, never from a request.
Method method_of(boost::beast::http::verb beast_verb) {
  using boost::beast::http::verb;
  switch (beast_verb) {
    case verb::get:
      return Method::get;
    case verb::post:
      return Method::post;
    case verb::put:
      return Method::put;
    case verb::patch:
      return Method::patch;
    case verb::delete_:
      return Method::del;
    default:
      return Method::other;
  }
}

std::string response_head(const Response& response, bool keep_alive) {
  std::string head;
  head.reserve(160);
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += boost::beast::http::obsolete_reason(boost::beast::http::int_to_status(response.status));
  head += "\r\nServer: balctl\r\nContent-Type: ";
  head += response.content_type;
  for (const auto& [name, value] : response.headers) {
    head += "\r\n";
    head += name;
    head += ": ";
    head += value;
  }
  head += "\r\nContent-Length: ";
  head += std::to_string(response.body_view().size());
  if (!keep_alive) head += "\r\nConnection: close";
  head += "\r\n\r\n";
  return head;
}

}  // namespace balctl::http
