#include "keypair.h"

namespace tunnelsim::wireguard {

Keypair::Keypair(NoiseTransportKeys keys, bool isInitiator_, uint32_t localIndex_,
                 uint32_t remoteIndex_, Time created_, uint64_t rejectAfterMessages,
                 uint64_t replayWindow)
    : sendingKey(keys.sending), receivingKey(keys.receiving),
      receivingFilter(rejectAfterMessages, replayWindow), isInitiator(isInitiator_),
      localIndex(localIndex_), remoteIndex(remoteIndex_), created(created_) {}

void Keypair::Wipe() {
  sendingKey.Wipe();
  receivingKey.Wipe();
  valid = false;
}

void Keypairs::Install(KeypairPtr keypair, std::vector<KeypairPtr> &retired) {
  auto retire = [&retired](KeypairPtr &slot) {
    if (slot) retired.push_back(std::move(slot));
    slot.reset();
  };
  if (keypair->isInitiator) {
    if (next_) {
      // An unconfirmed responder keypair loses to our own fresh one but stays receivable.
      retire(previous_);
      previous_ = std::move(next_);
      next_.reset();
      retire(current_);
    } else {
      retire(previous_);
      previous_ = std::move(current_);
      current_.reset();
    }
    current_ = std::move(keypair);
  } else {
    retire(next_);
    next_ = std::move(keypair);
    retire(previous_);
  }
}

bool Keypairs::ConfirmIfNext(const Keypair *keypair, std::vector<KeypairPtr> &retired) {
  if (!next_ || next_.get() != keypair) return false;
  if (previous_) retired.push_back(std::move(previous_));
  previous_ = std::move(current_);
  current_ = std::move(next_);
  next_.reset();
  return true;
}

void Keypairs::Clear(std::vector<KeypairPtr> &retired) {
  for (KeypairPtr *slot : {&current_, &previous_, &next_}) {
    if (*slot) retired.push_back(std::move(*slot));
    slot->reset();
  }
}

} // namespace tunnelsim::wireguard
