// SG group commit (Role::BeginBatch/EndBatch, G-79): the effects that
// announce a store write wait for the commit; a failed batch drops them.
#include <utility>

#include "reference/roles/sg/sg.h"

namespace mcpsim::reference {

void SgRole::BeginBatch(TimeUs) {
  server_.BeginBatch();
  in_batch_ = true;
}

void SgRole::EndBatch(TimeUs now, bool committed) {
  server_.EndBatch(committed);
  in_batch_ = false;
  std::vector<std::function<void()>> effects = std::move(after_commit_);
  after_commit_.clear();
  if (!committed) return;  // the writes they announce were rolled back
  for (auto& effect : effects) effect();
  Finish(now);
}

void SgRole::AfterCommit(std::function<void()> effect) {
  if (in_batch_) {
    after_commit_.push_back(std::move(effect));
  } else {
    effect();
  }
}

}  // namespace mcpsim::reference
