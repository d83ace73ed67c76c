# The simplest upload: send the whole file, shut down the sending side so the server sees the end,
# then print whatever the server answers.
# Usage: python3 raw_upload_client.py HOST PORT PATH
import socket
import sys

BUFFER_SIZE = 1024 * 10
socket.setdefaulttimeout(30)

host, port, filename = sys.argv[1], int(sys.argv[2]), sys.argv[3]

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, port))
with open(filename, "rb") as f:
    while True:
        data = f.read(BUFFER_SIZE)
        if not data:
            break
        s.sendall(data)
s.shutdown(socket.SHUT_WR)
reply = s.recv(1024).decode()
print(f"reply: {reply}")
s.close()
