// A Store decorator with fault points (reference/fault_sites.h, "store.*"):
// the calls below fail now and then with STORE-1 *before* reaching the inner
// store, so a failed mutating call changed nothing (the Store contract:
// "unchanged on error") and its caller answers 501 (or MS 503). Calls without
// a site pass straight through. With a null oracle it is a plain forwarder.
//
// Ownership: the decorator refers to `inner` and `faults`; both MUST outlive
// it.
#pragma once

#include <memory>

#include "core/buggify.h"
#include "reference/store/store.h"

namespace mcpsim::reference {

std::unique_ptr<Store> WithFaultPoints(Store& inner, FaultPoints* faults);

}  // namespace mcpsim::reference
