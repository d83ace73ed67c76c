# The tutorial's upload client: send "{name}<SEPARATOR>{size}", wait for the server's reply,
# then send the file in 10 KiB pieces with sendall and close.
# Usage: python3 upload_client.py HOST PORT PATH
import os
import socket
import sys

SEPARATOR = "<SEPARATOR>"
BUFFER_SIZE = 1024 * 10
socket.setdefaulttimeout(30)

host, port, filename = sys.argv[1], int(sys.argv[2]), sys.argv[3]
filesize = os.path.getsize(filename)

s = socket.socket()
s.connect((host, port))
s.send(f"{filename}{SEPARATOR}{filesize}".encode())
reply = s.recv(1024).decode()
print(f"reply: {reply}")

with open(filename, "rb") as f:
    while True:
        bytes_read = f.read(BUFFER_SIZE)
        if not bytes_read:
            break
        s.sendall(bytes_read)
s.close()
print(f"sent {filesize} bytes")
