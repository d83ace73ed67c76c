# A thread-per-client TCP server from the tutorials: accept, start a thread, recv(1024) until the client closes.
# Usage: python3 threaded_server.py HOST PORT [echo|fixed]   (PORT 0 = any; the port is printed first)
import socket
import sys
import threading

host, port = sys.argv[1], int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else 'echo'


def handle(conn, addr):
    print('connected', addr[0], addr[1], flush=True)
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            if mode == 'echo':
                conn.sendall(data)
            else:
                conn.sendall('thank you !'.encode('utf-8'))
    print('closed', addr[0], addr[1], flush=True)


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((host, port))
server.listen(5)
print(server.getsockname()[1], flush=True)
while True:
    conn, addr = server.accept()
    threading.Thread(target=handle, args=(conn, addr), daemon=True).start()
