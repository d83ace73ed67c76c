# The tutorial's download client: send a file name, read the header with one recv(1024),
# split it on <SEPARATOR>, then recv in 10 KiB pieces until the announced size has arrived.
# Usage: python3 download_client.py HOST PORT NAME OUT_DIR
import os
import socket
import sys

SEPARATOR = "<SEPARATOR>"
BUFFER_SIZE = 1024 * 10
socket.setdefaulttimeout(30)  # a stuck test ends instead of hanging

host, port, filename, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
client.send(filename.encode())

received = client.recv(1024).decode()
flag, info = received.split(SEPARATOR)
if flag == "-1":
    print(info)
    client.close()
    sys.exit(2)

filesize = int(info)
got = 0
with open(os.path.join(out_dir, os.path.basename(filename)), "wb") as f:
    while got < filesize:
        bytes_read = client.recv(BUFFER_SIZE)
        if not bytes_read:
            break
        f.write(bytes_read)
        got += len(bytes_read)
client.close()
print(f"received {got} of {filesize} bytes")
