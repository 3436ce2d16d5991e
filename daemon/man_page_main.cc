// shoal-man-page OUTPUT: writes the shoal(1) man page (daemon/man_page.h) to
// OUTPUT. Run by the build; not installed.
#include <cstdio>
#include <fstream>

#include "daemon/man_page.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: shoal-man-page OUTPUT\n", stderr);
    return 2;
  }
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out << shoal::daemon::RenderManPage(SHOAL_VERSION);
  out.close();
  if (!out) {
    std::perror(argv[1]);
    return 1;
  }
  return 0;
}
