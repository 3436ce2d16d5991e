// GilReleased: while one lives, this thread does not hold the GIL.
//
// A worker holds the GIL except while it waits for work (the app's own
// threads run then); this is that wait's scope. The destructor takes the
// GIL back. REQUIRES: the GIL held when it is made, on the same thread as
// it is destroyed. Worker only; not movable.
#pragma once

#include <Python.h>

namespace shoal::python {

class GilReleased {
 public:
  GilReleased() : state_(PyEval_SaveThread()) {}
  ~GilReleased() { PyEval_RestoreThread(state_); }
  GilReleased(const GilReleased&) = delete;
  GilReleased& operator=(const GilReleased&) = delete;

 private:
  PyThreadState* state_;
};

}  // namespace shoal::python
