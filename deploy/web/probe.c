/*
 * The web container's healthcheck: an HTTP GET to nginx on 127.0.0.1 that succeeds only on
 * a 200 answer. The nginx image has no shell, curl or wget, so this small program is
 * built in the image build and copied in. Usage: probe PORT PATH
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3 || argv[2][0] != '/') {
        fprintf(stderr, "usage: probe PORT /PATH\n");
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval timeout = {.tv_sec = 3};

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) < 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("probe: connect");
        return 1;
    }
    char request[512];
    int length = snprintf(request, sizeof request,
                          "GET %s HTTP/1.0\r\nHost: localhost\r\nUser-Agent: probe\r\n\r\n", argv[2]);
    if (length <= 0 || (size_t)length >= sizeof request || write(fd, request, length) != length) {
        perror("probe: write");
        return 1;
    }
    char status[64] = {0};
    size_t got = 0;
    ssize_t n;
    /* The status line ("HTTP/1.1 200 OK") is all that is needed. */
    while (got < sizeof status - 1 && !memchr(status, '\n', got) &&
           (n = read(fd, status + got, sizeof status - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    if (strncmp(status, "HTTP/1.", 7) != 0 || strncmp(status + 8, " 200 ", 5) != 0) {
        fprintf(stderr, "probe: GET %s answered: %.*s\n", argv[2], (int)strcspn(status, "\r\n"), status);
        return 1;
    }
    return 0;
}
