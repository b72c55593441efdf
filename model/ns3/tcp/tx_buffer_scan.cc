#include "ns3/tcp/tx_buffer_scan.h"

#include "ns3/tcp-tx-item.h"

#include <list>
#include <utility>

namespace tunnelsim::tcp {

namespace {

// TcpTxBuffer keeps its sent list, first sequence number and highest SACK private, and
// TcpTxItem its lost flag and packet. C++ does not check access in an explicit template
// instantiation ([temp.explicit]), so instantiating Expose with a pointer to each member hands
// that pointer to a friend function. Read only; the types are those of the ns-3 headers this is
// compiled against, so a change of layout in another ns-3 release fails to compile here.
using SentList = std::list<ns3::TcpTxItem *>;

template <typename Tag, typename Tag::type Member> struct Expose {
  friend typename Tag::type MemberOf(Tag) { return Member; }
};

struct SentListTag {
  using type = SentList ns3::TcpTxBuffer::*;
  friend type MemberOf(SentListTag);
};
struct FirstByteTag {
  using type = ns3::TracedValue<ns3::SequenceNumber32> ns3::TcpTxBuffer::*;
  friend type MemberOf(FirstByteTag);
};
struct HighestSackTag {
  using type = std::pair<SentList::const_iterator, ns3::SequenceNumber32> ns3::TcpTxBuffer::*;
  friend type MemberOf(HighestSackTag);
};
struct SentSizeTag {
  using type = uint32_t ns3::TcpTxBuffer::*;
  friend type MemberOf(SentSizeTag);
};
struct ItemLostTag {
  using type = bool ns3::TcpTxItem::*;
  friend type MemberOf(ItemLostTag);
};
struct ItemPacketTag {
  using type = ns3::Ptr<ns3::Packet> ns3::TcpTxItem::*;
  friend type MemberOf(ItemPacketTag);
};

template struct Expose<SentListTag, &ns3::TcpTxBuffer::m_sentList>;
template struct Expose<FirstByteTag, &ns3::TcpTxBuffer::m_firstByteSeq>;
template struct Expose<HighestSackTag, &ns3::TcpTxBuffer::m_highestSack>;
template struct Expose<SentSizeTag, &ns3::TcpTxBuffer::m_sentSize>;
template struct Expose<ItemLostTag, &ns3::TcpTxItem::m_lost>;
template struct Expose<ItemPacketTag, &ns3::TcpTxItem::m_packet>;

} // namespace

std::vector<bool> IsLostForEach(const ns3::TcpTxBuffer &buffer,
                                const std::vector<ns3::SequenceNumber32> &ascending) {
  std::vector<bool> lost(ascending.size(), false);
  const SentList &sent = buffer.*MemberOf(SentListTag{});
  const ns3::SequenceNumber32 highestSack = (buffer.*MemberOf(HighestSackTag{})).second;
  ns3::SequenceNumber32 begin = (buffer.*MemberOf(FirstByteTag{})).Get();
  size_t next = 0; // first query not yet decided
  for (const ns3::TcpTxItem *item : sent) {
    if (next == ascending.size()) break;
    const bool itemLost = item->*MemberOf(ItemLostTag{});
    // IsLost(seq) stops at the first item starting at or after seq that is lost or SACKed.
    if (itemLost || item->IsSacked()) {
      for (; next < ascending.size() && begin >= ascending[next]; ++next)
        lost[next] = itemLost && ascending[next] < highestSack;
    }
    begin += (item->*MemberOf(ItemPacketTag{}))->GetSize();
  }
  return lost; // undecided queries: no such item, IsLost is false
}

ns3::SequenceNumber32 FirstUnsentSequence(const ns3::TcpTxBuffer &buffer) {
  return buffer.HeadSequence() + buffer.*MemberOf(SentSizeTag{});
}

} // namespace tunnelsim::tcp
