# The tutorial's upload server: receive "{name}<SEPARATOR>{size}", answer "ok", then write everything
# that arrives, until the client closes, to "[接收]{name}". Serves COUNT clients, one after another.
# Usage: python3 upload_server.py HOST FOLDER COUNT   (listens on a free port and prints it first)
import os
import socket
import sys

SEPARATOR = "<SEPARATOR>"
BUFFER_SIZE = 1024 * 10

host, folder, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

server = socket.socket()
server.bind((host, 0))
server.listen(5)
server.settimeout(60)
print(server.getsockname()[1], flush=True)

for _ in range(count):
    conn, addr = server.accept()
    conn.settimeout(30)
    received = conn.recv(1024).decode()
    filename, filesize = received.split(SEPARATOR)
    filename = os.path.basename(filename)
    filesize = int(filesize)
    conn.send(b"ok")
    with open(os.path.join(folder, "[接收]" + filename), "wb") as f:
        while True:
            bytes_read = conn.recv(BUFFER_SIZE)
            if not bytes_read:
                break
            f.write(bytes_read)
    conn.close()
    print(f"saved [接收]{filename} ({filesize} bytes announced)", flush=True)
server.close()
