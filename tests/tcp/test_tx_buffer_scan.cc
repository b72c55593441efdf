// IsLostForEach (model/tcp/tx_buffer_scan) must answer exactly as ns-3's TcpTxBuffer::IsLost,
// one query at a time, on every scoreboard ns-3 can build: new data, retransmissions that split
// and merge items, SACK blocks on and off item boundaries, ns-3's own loss marks (head, whole
// list, dupthresh) and cumulative ACKs, including sequence numbers that wrap. FirstUnsentSequence
// must be where the sent data ends.
#define BOOST_TEST_MODULE tcp_tx_buffer_scan
#include <boost/test/unit_test.hpp>

#include "ns3/tcp/tx_buffer_scan.h"

#include "ns3/packet.h"
#include "ns3/tcp-option-sack.h"
#include "ns3/tcp-tx-buffer.h"

#include <random>
#include <vector>

using namespace tunnelsim;
using ns3::SequenceNumber32;

namespace {

constexpr uint32_t kSegment = 1000;

struct Scoreboard {
  ns3::Ptr<ns3::TcpTxBuffer> buffer = ns3::CreateObject<ns3::TcpTxBuffer>();
  SequenceNumber32 head;
  SequenceNumber32 sentEnd;
  std::mt19937 rng;

  Scoreboard(uint32_t firstSeq, uint32_t seed) : head(firstSeq), sentEnd(firstSeq), rng(seed) {
    buffer->SetMaxBufferSize(1 << 24);
    buffer->SetHeadSequence(head);
    buffer->SetSegmentSize(kSegment);
    buffer->SetDupAckThresh(3);
    buffer->SetRWndCallback(ns3::MakeCallback(&Scoreboard::Window));
  }
  static uint32_t Window() { return 1 << 24; }

  uint32_t Uniform(uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
  }
  uint32_t Outstanding() const { return static_cast<uint32_t>(sentEnd - head); }

  void SendNew() {
    const uint32_t size = Uniform(0, 9) == 0 ? Uniform(1, kSegment) : kSegment;
    buffer->Add(ns3::Create<ns3::Packet>(size));
    buffer->CopyFromSequence(size, sentEnd);
    sentEnd += size;
  }
  void Retransmit() {
    if (Outstanding() == 0) return;
    const SequenceNumber32 seq = head + Uniform(0, Outstanding() - 1);
    buffer->CopyFromSequence(Uniform(1, 2 * kSegment), seq);
  }
  void Sack() {
    if (Outstanding() < 2) return;
    ns3::TcpOptionSack::SackList list;
    const uint32_t blocks = Uniform(1, 4);
    for (uint32_t i = 0; i < blocks; ++i) {
      uint32_t from = Uniform(1, Outstanding() - 1);
      uint32_t to = Uniform(from + 1, Outstanding());
      if (Uniform(0, 1) == 0) { // on segment boundaries, as a receiver reports them
        from = from / kSegment * kSegment;
        to = std::min(Outstanding(), (to + kSegment - 1) / kSegment * kSegment);
        if (from == 0 || from >= to) continue;
      }
      list.emplace_back(head + from, head + to);
    }
    buffer->Update(list);
  }
  void CumulativeAck() {
    if (Outstanding() == 0) return;
    // Partial ACKs of an item too: ns-3 splits the head item then.
    head += Uniform(1, std::min(Outstanding(), 3 * kSegment));
    buffer->DiscardUpTo(head);
  }

  void Step() {
    const uint32_t op = Uniform(0, 99);
    if (op < 40)
      SendNew();
    else if (op < 55)
      Retransmit();
    else if (op < 80)
      Sack();
    else if (op < 90)
      CumulativeAck();
    else if (op < 95)
      buffer->MarkHeadAsLost();
    else
      buffer->SetSentListLost(Uniform(0, 3) == 0);
  }

  // Every item start and random points in and around the outstanding range, ascending.
  std::vector<SequenceNumber32> Queries() {
    std::vector<uint32_t> offsets;
    const uint32_t span = Outstanding() + 2 * kSegment;
    for (uint32_t off = 0; off < span; off += kSegment)
      offsets.push_back(off);
    for (int i = 0; i < 40; ++i)
      offsets.push_back(Uniform(0, span));
    std::sort(offsets.begin(), offsets.end());
    offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
    std::vector<SequenceNumber32> queries;
    for (uint32_t off : offsets)
      queries.push_back(head + off);
    return queries;
  }
};

void CheckAgainstIsLost(uint32_t firstSeq, uint32_t seed) {
  Scoreboard board(firstSeq, seed);
  uint64_t lostAnswers = 0;
  uint64_t compared = 0;
  for (int step = 0; step < 1500; ++step) {
    board.Step();
    if (step % 3 != 0) continue;
    BOOST_TEST(tcp::FirstUnsentSequence(*board.buffer) == board.sentEnd);
    const std::vector<SequenceNumber32> queries = board.Queries();
    const std::vector<bool> fast = tcp::IsLostForEach(*board.buffer, queries);
    BOOST_REQUIRE_EQUAL(fast.size(), queries.size());
    for (size_t i = 0; i < queries.size(); ++i) {
      const bool slow = board.buffer->IsLost(queries[i]);
      if (fast[i] != slow)
        BOOST_FAIL("seed " << seed << " step " << step << ": IsLost(" << queries[i] << ") is "
                           << slow << ", IsLostForEach says " << fast[i]);
      lostAnswers += slow ? 1 : 0;
      ++compared;
    }
  }
  // The walk must have met both answers many times, or the comparison proves little.
  BOOST_TEST(lostAnswers > compared / 50);
  BOOST_TEST(lostAnswers < compared);
}

} // namespace

BOOST_AUTO_TEST_CASE(answers_as_is_lost_on_random_scoreboards) {
  for (uint32_t seed = 1; seed <= 4; ++seed)
    CheckAgainstIsLost(1, seed);
}

BOOST_AUTO_TEST_CASE(answers_as_is_lost_across_sequence_wrap) {
  for (uint32_t seed = 5; seed <= 6; ++seed)
    CheckAgainstIsLost(0xFFFFFFFFu - 20 * kSegment, seed);
}

BOOST_AUTO_TEST_CASE(empty_buffer_and_no_queries) {
  auto buffer = ns3::CreateObject<ns3::TcpTxBuffer>();
  BOOST_TEST(tcp::IsLostForEach(*buffer, {}).empty());
  const std::vector<bool> none = tcp::IsLostForEach(*buffer, {SequenceNumber32(5)});
  BOOST_REQUIRE_EQUAL(none.size(), 1u);
  BOOST_TEST(!none[0]);
}
