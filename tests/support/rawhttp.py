"""Test helper: a TCP server on 127.0.0.1 that answers every connection with the
exact bytes of a file, whatever was asked (for answers no HTTP server library
would send: HTTP/0.9, a 1 MB header, a gzip body that inflates enormously).

    python3 rawhttp.py ANSWER_FILE      prints the port on one line, serves until killed

tests/support/rawhttp.lua starts and stops it from a spec.
"""
import socket
import sys
import threading


def serve(conn, answer):
    try:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        conn.sendall(answer)
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(65536):  # let the client close first, so it reads everything
            pass
    except OSError:
        pass
    finally:
        conn.close()


def main():
    with open(sys.argv[1], "rb") as f:
        answer = f.read()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, answer), daemon=True).start()


if __name__ == "__main__":
    main()
