# The tutorial's download server: receive a file name; if it exists send "0<SEPARATOR>{size}" and the
# file in 40 KiB read + sendall steps (no pause: header and data may share a segment), else
# "-1<SEPARATOR>{name}文件不存在"; then close. Serves COUNT clients, one after another.
# Usage: python3 download_server.py HOST FOLDER COUNT   (listens on a free port and prints it first)
import os
import socket
import sys

SEPARATOR = "<SEPARATOR>"
BUFFER_SIZE = 1024 * 40

host, folder, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind((host, 0))
server.listen(5)
server.settimeout(60)  # a stuck test ends instead of hanging
print(server.getsockname()[1], flush=True)

for _ in range(count):
    conn, addr = server.accept()
    filename = conn.recv(1024).decode()
    path = os.path.join(folder, filename)
    if os.path.isfile(path):
        filesize = os.path.getsize(path)
        conn.send(f"0{SEPARATOR}{filesize}".encode())
        with open(path, "rb") as f:
            while True:
                bytes_read = f.read(BUFFER_SIZE)
                if not bytes_read:
                    break
                conn.sendall(bytes_read)
    else:
        conn.send(f"-1{SEPARATOR}{filename}文件不存在".encode())
    conn.close()
server.close()
