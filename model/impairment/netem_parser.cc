#include "impairment/netem_parser.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <vector>

namespace tunnelsim::impairment {
namespace {

[[noreturn]] void Fail(const std::string &message) { throw NetemParseError("netem: " + message); }

std::string Lower(std::string text) {
  for (auto &c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// tc's matches(): the token is a non-empty prefix of the keyword.
bool Matches(const std::string &token, const char *keyword) {
  const std::string word = keyword;
  return !token.empty() && token.size() <= word.size() && word.compare(0, token.size(), token) == 0;
}

// A number at the start of `text`; `rest` gets what follows. False when there is none.
bool LeadingNumber(const std::string &text, double &value, std::string &rest) {
  if (text.empty()) return false;
  const char *begin = text.c_str();
  char *end = nullptr;
  errno = 0;
  value = std::strtod(begin, &end);
  if (end == begin || errno == ERANGE || !std::isfinite(value)) return false;
  rest = Lower(std::string(end));
  return true;
}

bool StartsLikeNumber(const std::string &token) {
  return !token.empty() && (std::isdigit(static_cast<unsigned char>(token[0])) ||
                            (token[0] == '.' && token.size() > 1));
}

class Tokens {
public:
  explicit Tokens(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}
  bool Done() const { return index_ >= tokens_.size(); }
  const std::string &Peek() const { return tokens_[index_]; }
  bool NextIsNumber() const { return !Done() && StartsLikeNumber(Peek()); }
  std::string Take(const std::string &what, const std::string &after) {
    if (Done()) Fail("'" + after + "' expects " + what + ", but the command ends there");
    return tokens_[index_++];
  }

private:
  std::vector<std::string> tokens_;
  size_t index_ = 0;
};

double ParsePercent(const std::string &token, const std::string &option) {
  double value = 0;
  std::string rest;
  if (!LeadingNumber(token, value, rest) || !(rest.empty() || rest == "%")) {
    Fail("'" + option + "' expects a percentage such as 10% or 0.5%, got '" + token + "'");
  }
  if (value < 0.0 || value > 100.0) {
    Fail("'" + option + "' percentage '" + token + "' is outside 0%..100%");
  }
  return value / 100.0;
}

Duration ParseTime(const std::string &token, const std::string &option) {
  double value = 0;
  std::string unit;
  if (!LeadingNumber(token, value, unit)) {
    Fail("'" + option + "' expects a time such as 20ms, got '" + token + "'");
  }
  double scale = 0;
  if (unit == "s" || unit == "sec" || unit == "secs") {
    scale = 1e9;
  } else if (unit == "ms" || unit == "msec" || unit == "msecs") {
    scale = 1e6;
  } else if (unit == "us" || unit == "usec" || unit == "usecs") {
    scale = 1e3;
  } else if (unit == "ns" || unit == "nsec" || unit == "nsecs") {
    scale = 1;
  } else if (unit.empty()) {
    Fail("'" + option + "' time '" + token +
         "' has no unit; write it with s, ms, us or ns (e.g. 20ms)");
  } else {
    Fail("'" + option + "' time '" + token + "' has an unknown unit '" + unit +
         "' (expected s, ms, us or ns)");
  }
  const double ns = value * scale;
  if (ns < 0 || ns > 9e18) Fail("'" + option + "' time '" + token + "' is out of range");
  return Duration(static_cast<int64_t>(std::llround(ns)));
}

uint64_t ParseRate(const std::string &token) {
  double value = 0;
  std::string unit;
  if (!LeadingNumber(token, value, unit)) {
    Fail("'rate' expects a rate such as 10mbit, got '" + token + "'");
  }
  struct Unit {
    const char *name;
    double bitsPerSecond;
  };
  static const Unit kUnits[] = {{"", 1},
                                {"bit", 1},
                                {"kbit", 1e3},
                                {"mbit", 1e6},
                                {"gbit", 1e9},
                                {"tbit", 1e12},
                                {"kibit", 1024.0},
                                {"mibit", 1048576.0},
                                {"gibit", 1073741824.0},
                                {"tibit", 1099511627776.0},
                                {"bps", 8},
                                {"kbps", 8e3},
                                {"mbps", 8e6},
                                {"gbps", 8e9},
                                {"tbps", 8e12},
                                {"kibps", 8 * 1024.0},
                                {"mibps", 8 * 1048576.0},
                                {"gibps", 8 * 1073741824.0},
                                {"tibps", 8 * 1099511627776.0}};
  if (unit == "%") {
    Fail("'rate' as a percentage of the device's speed ('" + token +
         "') is not supported; give an absolute rate such as 10mbit");
  }
  for (const auto &u : kUnits) {
    if (unit == u.name) {
      const double bytes = value * u.bitsPerSecond / 8.0;
      if (!(bytes >= 1.0) || bytes > 1e18) Fail("'rate' '" + token + "' is out of range");
      return static_cast<uint64_t>(std::llround(bytes));
    }
  }
  Fail("'rate' '" + token + "' has an unknown unit '" + unit +
       "' (expected bit, kbit, mbit, gbit, tbit, bps, kbps, mbps, gbps, or kibit... forms)");
}

int64_t ParseInteger(const std::string &token, const std::string &what, int64_t min, int64_t max) {
  char *end = nullptr;
  errno = 0;
  const long long value = std::strtoll(token.c_str(), &end, 0);
  if (token.empty() || *end != '\0' || errno == ERANGE || value < min || value > max) {
    std::ostringstream out;
    out << "'" << what << "' expects an integer in " << min << ".." << max << ", got '" << token
        << "'";
    Fail(out.str());
  }
  return value;
}

uint64_t ParseSeed(const std::string &token) {
  char *end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(token.c_str(), &end, 0);
  if (token.empty() || token[0] == '-' || *end != '\0' || errno == ERANGE) {
    Fail("'seed' expects an unsigned 64-bit integer, got '" + token + "'");
  }
  return value;
}

void ParseLoss(Tokens &tokens, NetemSettings &settings, const std::string &keyword) {
  const std::string kind = tokens.Take("random PERCENT, state p13... or gemodel p...", keyword);
  LossSettings &loss = settings.loss;
  const bool ecn = loss.ecn;
  if (kind == "state") {
    loss = LossSettings{};
    loss.model = LossSettings::Model::kState;
    loss.p13 = ParsePercent(tokens.Take("p13 (a percentage)", "loss state"), "loss state p13");
    loss.p31 = 1.0 - loss.p13;
    loss.p32 = 0.0;
    loss.p23 = 1.0;
    loss.p14 = 0.0;
    double *rest[] = {&loss.p31, &loss.p32, &loss.p23, &loss.p14};
    const char *names[] = {"loss state p31", "loss state p32", "loss state p23", "loss state p14"};
    for (int i = 0; i < 4 && tokens.NextIsNumber(); ++i) {
      *rest[i] = ParsePercent(tokens.Take("a percentage", names[i]), names[i]);
    }
  } else if (kind == "gemodel") {
    loss = LossSettings{};
    loss.model = LossSettings::Model::kGilbertElliott;
    loss.p = ParsePercent(tokens.Take("p (a percentage)", "loss gemodel"), "loss gemodel p");
    loss.r = 1.0 - loss.p;
    loss.badLoss = 1.0;
    loss.goodLoss = 0.0;
    double *rest[] = {&loss.r, &loss.badLoss, &loss.goodLoss};
    const char *names[] = {"loss gemodel r", "loss gemodel 1-h", "loss gemodel 1-k"};
    for (int i = 0; i < 3 && tokens.NextIsNumber(); ++i) {
      *rest[i] = ParsePercent(tokens.Take("a percentage", names[i]), names[i]);
    }
  } else {
    std::string percent = kind;
    if (kind == "random") percent = tokens.Take("a percentage", "loss random");
    if (!StartsLikeNumber(percent)) {
      Fail("'" + keyword + "' expects random PERCENT, state p13... or gemodel p..., got '" +
           percent + "'");
    }
    loss = LossSettings{};
    loss.model = LossSettings::Model::kRandom;
    loss.probability = ParsePercent(percent, "loss random");
    if (tokens.NextIsNumber()) {
      loss.correlation = ParsePercent(tokens.Take("a correlation", "loss"), "loss correlation");
    }
  }
  loss.ecn = ecn;
}

void ParsePercentAndCorrelation(Tokens &tokens, const std::string &keyword, double &percent,
                                double &correlation) {
  percent = ParsePercent(tokens.Take("a percentage", keyword), keyword);
  if (tokens.NextIsNumber()) {
    correlation = ParsePercent(tokens.Take("a correlation", keyword), keyword + " correlation");
  }
}

} // namespace

NetemSettings ParseNetemArguments(const std::string &arguments) {
  std::vector<std::string> words;
  std::istringstream in(arguments);
  for (std::string word; in >> word;)
    words.push_back(word);
  // A whole tc command: keep what follows the "netem" keyword.
  for (size_t i = 0; i < words.size(); ++i) {
    if (Lower(words[i]) == "netem") {
      words.erase(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      break;
    }
  }
  Tokens tokens(std::move(words));
  NetemSettings settings;
  bool gapGiven = false;
  while (!tokens.Done()) {
    const std::string original = tokens.Take("an option", "");
    const std::string token = Lower(original);
    if (Matches(token, "limit")) {
      settings.limit = static_cast<uint32_t>(
          ParseInteger(tokens.Take("a packet count", "limit"), "limit", 1, UINT32_MAX));
    } else if (Matches(token, "delay") || Matches(token, "latency")) {
      settings.latency = ParseTime(tokens.Take("a time such as 20ms", original), original);
      if (tokens.NextIsNumber()) {
        settings.jitter = ParseTime(tokens.Take("a jitter time", original), "jitter");
        if (tokens.NextIsNumber()) {
          settings.delayCorrelation =
              ParsePercent(tokens.Take("a correlation", original), "delay correlation");
        }
      }
    } else if (Matches(token, "loss") || Matches(token, "drop")) {
      ParseLoss(tokens, settings, original);
    } else if (Matches(token, "ecn")) {
      settings.loss.ecn = true;
    } else if (Matches(token, "reorder")) {
      ParsePercentAndCorrelation(tokens, "reorder", settings.reorder, settings.reorderCorrelation);
    } else if (Matches(token, "gap")) {
      settings.gap = static_cast<uint32_t>(
          ParseInteger(tokens.Take("a packet count", "gap"), "gap", 1, UINT32_MAX));
      gapGiven = true;
    } else if (Matches(token, "duplicate")) {
      ParsePercentAndCorrelation(tokens, "duplicate", settings.duplicate,
                                 settings.duplicateCorrelation);
    } else if (Matches(token, "distribution")) {
      const std::string name = tokens.Take("uniform, normal, pareto or paretonormal", original);
      auto distribution = DelayDistributionFromString(Lower(name));
      if (!distribution) {
        Fail("'distribution' '" + name +
             "' is not one of uniform, normal, pareto, paretonormal (distribution files "
             "other than these are not supported)");
      }
      settings.distribution = *distribution;
    } else if (Matches(token, "corrupt")) {
      ParsePercentAndCorrelation(tokens, "corrupt", settings.corrupt, settings.corruptCorrelation);
    } else if (Matches(token, "rate")) {
      settings.rateBytesPerSecond = ParseRate(tokens.Take("a rate such as 10mbit", "rate"));
      if (tokens.NextIsNumber() || (!tokens.Done() && tokens.Peek()[0] == '-')) {
        settings.packetOverhead =
            static_cast<int32_t>(ParseInteger(tokens.Take("a packet overhead", "rate"),
                                              "rate packet overhead", INT32_MIN, INT32_MAX));
        if (tokens.NextIsNumber()) {
          settings.cellSize = static_cast<uint32_t>(
              ParseInteger(tokens.Take("a cell size", "rate"), "rate cell size", 0, UINT32_MAX));
          if (tokens.NextIsNumber() || (!tokens.Done() && tokens.Peek()[0] == '-')) {
            settings.cellOverhead =
                static_cast<int32_t>(ParseInteger(tokens.Take("a cell overhead", "rate"),
                                                  "rate cell overhead", INT32_MIN, INT32_MAX));
          }
        }
      }
    } else if (Matches(token, "slot")) {
      Fail("'slot' (slotted delivery) is not supported by this model; remove it, or model "
           "bursty delivery with the ACK compression impairment");
    } else if (Matches(token, "seed")) {
      settings.seed = ParseSeed(tokens.Take("a seed", "seed"));
    } else {
      Fail("unknown option '" + original +
           "' (expected limit, delay, distribution, loss, ecn, reorder, gap, duplicate, "
           "corrupt, rate or seed)");
    }
  }
  if (settings.reorder > 0.0 && settings.latency.count() == 0) {
    Fail("'reorder' is not possible without a delay (add e.g. 'delay 10ms'), as in tc");
  }
  if (gapGiven && settings.reorder == 0.0) {
    Fail("'gap' given without a reorder probability (add e.g. 'reorder 100%'), as in tc");
  }
  if (settings.reorder > 0.0 && settings.gap == 0) settings.gap = 1;
  if (auto problem = settings.Validate(); !problem.empty()) Fail(problem);
  return settings;
}

} // namespace tunnelsim::impairment
