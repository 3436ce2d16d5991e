/* The no-Python ceiling for bench/run: a FastCGI hello responder on
 * libfcgi, preforked like shoal, accepting and closing connections itself
 * (ipcFd preset before FCGX_Accept_r, keepConnection and detached set so
 * FCGX_Finish_r neither closes nor lingers): accept, read, write, close.
 *
 *   c_responder SOCKET_PATH WORKERS
 */
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char kResponse[] =
    "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\n"
    "Hello, World!\n";

static void Serve(int listen_fd) {
  FCGX_Request request;
  FCGX_InitRequest(&request, -1, 0);
  for (;;) {
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) continue;
    request.ipcFd = fd;
    request.keepConnection = 1;
    request.detached = 1;
    if (FCGX_Accept_r(&request) != 0) continue; /* libfcgi closed it */
    FCGX_PutStr(kResponse, (int)sizeof(kResponse) - 1, request.out);
    request.keepConnection = 1; /* Finish must not close: we do */
    FCGX_Finish_r(&request);
    close(fd);
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c_responder SOCKET_PATH WORKERS\n");
    return 2;
  }
  FCGX_Init();
  signal(SIGPIPE, SIG_IGN);
  int listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address;
  memset(&address, 0, sizeof(address));
  address.sun_family = AF_UNIX;
  snprintf(address.sun_path, sizeof(address.sun_path), "%s", argv[1]);
  unlink(argv[1]);
  if (bind(listen_fd, (struct sockaddr*)&address, sizeof(address)) != 0 ||
      listen(listen_fd, 1024) != 0) {
    perror("bind/listen");
    return 1;
  }
  chmod(argv[1], 0666);
  int workers = atoi(argv[2]);
  for (int i = 0; i < workers; ++i) {
    if (fork() == 0) Serve(listen_fd);
  }
  signal(SIGTERM, SIG_DFL);
  while (wait(NULL) > 0) {
  }
  return 0;
}
