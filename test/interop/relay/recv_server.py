# A thread-per-client TCP server from the tutorials, printing every recv(1024) it gets.
# It answers each chunk upper-cased; when the client shuts down its sending side (recv returns b''),
# it sends a summary line and closes, like an upload server confirming what it received.
# Usage: python3 recv_server.py HOST PORT   (PORT 0 = any; the port is printed first)
import socket
import sys
import threading

host, port = sys.argv[1], int(sys.argv[2])


def handle(conn, addr):
    total = 0
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            total += len(data)
            print('recv', len(data), data.decode('utf-8', 'replace'), flush=True)
            conn.sendall(data.upper())
        conn.sendall(('done: %d bytes\n' % total).encode('utf-8'))
    print('closed', total, flush=True)


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((host, port))
server.listen(5)
print(server.getsockname()[1], flush=True)
while True:
    conn, addr = server.accept()
    threading.Thread(target=handle, args=(conn, addr), daemon=True).start()
