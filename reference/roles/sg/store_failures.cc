// The SG and a failing store: under group commit (Role::BeginBatch/
// EndBatch, G-79) the effects that announce a store write wait for the
// commit and a failed batch drops them; what a failed store read left
// undone for a session (SG-SYNC-13, G-78) is tried again.
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

void SgRole::RetryStoreLater(Session& s) {
  SgRole& home = *s.home;
  s.store_retry_at = now_ + home.config_.store_retry;
  home.Touch(s);
}

void SgRole::RetryStore(Session& s) {
  s.store_retry_at = kNever;  // a failure below arms it again
  if (s.state == SessionState::kOnline && s.initial_sync_failed && !s.sync_running) {
    StartSync(s, s.initial_base, /*initial=*/true);
  } else if ((s.state == SessionState::kOnline || s.state == SessionState::kActive) && s.sync_failed &&
             !s.sync_running) {
    StartSync(s, s.client_version, /*initial=*/false);
  }
  if (s.state == SessionState::kActive && s.offline_failed) DeliverOffline(s);
}

}  // namespace mcpsim::reference
